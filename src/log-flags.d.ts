/**
 * Build flags for console detail, from LOG_LEVEL: LOG_INFO is true for `info` and `debug` (a line
 * per reading, a periodic summary), LOG_DEBUG only for `debug` (a line per packet and delivery).
 * The firmware build replaces them with constants (terser's global_defs), so the text of lines a
 * build leaves out never reaches the bundle; Node tests see both true (vitest.config.ts).
 */
declare const LOG_INFO: boolean;
declare const LOG_DEBUG: boolean;
