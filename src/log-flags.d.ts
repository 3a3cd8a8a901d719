/**
 * Build flag for console detail: true when LOG_LEVEL is `debug`. The firmware build replaces it
 * with a constant (terser's global_defs), so the text of lines a build leaves out never reaches
 * the bundle; Node tests see true (vitest.config.ts).
 */
declare const LOG_DEBUG: boolean;
