// Removes nsbox parents left by processes that are gone (crash, SIGKILL): nsbox-<pid>-<starttime>
// next to ours, whose pid is not running or now names another process. Nothing else is touched.
import fs from 'node:fs';
import { join } from 'node:path';
import type { V1Layout, V2Layout } from './detect.js';
import { removeTree, removeWithRetry, startTime } from './files.js';
import { killV1 } from './v1.js';
import { killV2 } from './v2.js';

const PARENT = /^nsbox-(\d+)-(\d+)$/;

export function isStale(name: string, ours: string): boolean {
  const match = PARENT.exec(name);
  if (!match || name === ours) return false;
  return startTime(Number(match[1])) !== match[2];
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** rmdir now; what is still busy (tasks exiting after SIGKILL) is retried in the background. */
function remove(dir: string): void {
  try {
    if (removeTree(dir) === 'gone') return;
  } catch {
    return; // not ours to remove (another user's): leave it
  }
  removeWithRetry(dir, undefined, { unref: true }).catch(() => {});
}

/** Best effort: never throws. */
export function sweep(layout: V1Layout | V2Layout): void {
  const homes = layout.version === 1 ? layout.hierarchies.map((h) => h.home) : [layout.home];
  const stale = new Set(homes.flatMap((home) => list(home).filter((name) => isStale(name, layout.name))));
  for (const name of stale) {
    try {
      if (layout.version === 1) {
        const dirs = homes.map((home) => join(home, name)).filter((dir) => fs.existsSync(dir));
        const freezer = layout.hierarchies.find((h) => h.controllers.includes('freezer'));
        const frozenDir = freezer && join(freezer.home, name);
        killV1(dirs, frozenDir && fs.existsSync(frozenDir) ? frozenDir : undefined);
        dirs.forEach(remove);
      } else {
        const dir = join(layout.home, name);
        killV2(dir);
        remove(dir);
      }
    } catch {
      // a sweep must never stop a run from starting
    }
  }
}
