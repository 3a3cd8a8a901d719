/**
 * The minifier's names for the bundle's variables and functions: `$e`, `$t`, ... `$ee`, ...
 *
 * The bundle has no wrapper function: each level of scope a function is defined in costs it a
 * JsVar for as long as it lives (docs/espruino-runtime.md, "Memory"), so the modules' top level
 * is the interpreter's global scope. Names there are globals, which someone at the console
 * could overwrite (`i = 0`); with `$` first, none is a name a person types, or one of Espruino's
 * own (`E`, the pins `D0`..). A name of up to 8 characters takes one JsVar, as one of 1.
 */

/**
 * The n-th name (0-based), for terser's `mangle.nth_identifier`. Self-contained: the terser
 * plugin sends its options to worker threads as source text, so this may use nothing outside.
 */
export function bundleIdentifier(n: number): string {
  const first = "etnrisouaflchpdvmgybwESxTNCkLAOMDPHBjFIqRUzWXVJKQGYZ_";
  const next = first + "0123456789";
  let name = "$" + first[n % first.length];
  n = Math.floor(n / first.length);
  while (n > 0) {
    n--;
    name += next[n % next.length];
    n = Math.floor(n / next.length);
  }
  return name;
}
