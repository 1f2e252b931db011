/** This runner's own version, as the package manifest gives it (shown by `serve` and in run records). */
import { version } from '../../../package.json';

/** The version of comfy-runner, e.g. `0.1.0`. */
export const runnerVersion: string = version;
