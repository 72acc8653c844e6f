// Bundled at build time: dist/cli.js then needs no package.json lookup at run time.
import { version } from '../../package.json';

export const NSBOX_VERSION: string = version;
