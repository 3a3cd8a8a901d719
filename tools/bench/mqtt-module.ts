/**
 * The peer of figures 2 and 5: Espruino's own MQTT module (modules/MQTT.js of
 * espruino/EspruinoDocs, a copy named by ESPRUINO_MQTT_MODULE; its code is never part of this
 * repository), loaded as Espruino loads a module and minified as the firmware is.
 */
import { readFileSync } from "node:fs";
import { minify } from "terser";

/** The build's terser settings (tools/build/targets.ts). */
export async function minifyLikeTheBuild(code: string): Promise<string> {
  const result = await minify(code, {
    ecma: 5,
    compress: { passes: 2, hoist_vars: true },
    mangle: {
      properties: { regex: /^_/, reserved: ["on", "emit", "removeListener", "removeAllListeners", "prependListener"] },
    },
    format: { ascii_only: true, comments: false },
  });
  return result.code ?? "";
}

/**
 * A script for the interpreter: the module at `modulePath` as a function of `exports` (global
 * `MQTT`), `mqtt` its client of 127.0.0.1:`port` as `clientId` (`options`: more of MQTT.create's
 * options, e.g. keep_alive), then `body`; minified with the build's settings.
 */
export function mqttModuleScript(
  modulePath: string,
  port: number,
  clientId: string,
  body: string,
  options: Record<string, number> = {},
): Promise<string> {
  const source = readFileSync(modulePath, "utf8");
  const more = Object.entries(options)
    .map(([key, value]) => `,${key}:${value}`)
    .join("");
  return minifyLikeTheBuild(
    `var MQTT=function(exports){${source}\nreturn exports}({});\n` +
      `var mqtt=MQTT.create("127.0.0.1",{port:${port},client_id:${JSON.stringify(clientId)}${more}});\n` +
      body,
  );
}
