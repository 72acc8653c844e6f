/** One thing nsbox needs or can use, checked on this host. */
export interface ProbeItem {
  /** Stable identifier for scripts, e.g. 'user-namespaces'. */
  id: string;
  /** Short name for people, e.g. 'user namespaces'. */
  name: string;
  ok: boolean;
  /** What was found, in words. */
  detail: string;
  /** What to do about it, when not ok (or when only some users are affected). */
  fix?: string;
  /** true when a default sandbox cannot run without it; false for features nsbox can do without. */
  required: boolean;
}

export interface HostReport {
  kernel: string;
  arch: string;
  node: string;
  items: ProbeItem[];
  summary: {
    /** A default-profile sandbox was started here and ran /bin/true. */
    canRunSandbox: boolean;
    /** Names of the items that are not ok. */
    failed: string[];
    text: string;
  };
}
