/**
 * Builds the `linux` bundle in a child process for the reliability suite:
 *   node --import tsx test/reliability/build-child.ts '<settings JSON>' <out file>
 * A build type-checks and minifies for a second or more of CPU; in the test process it would stall
 * the event loop that time-stamps other devices' console lines and drives proxies and brokers.
 */
import { buildBundle } from "../../tools/build/build-bundle";

const [settings, out] = process.argv.slice(2);
buildBundle("linux", JSON.parse(settings) as Record<string, string>, out).catch((e: Error) => {
  process.stderr.write((e.stack || e.message) + "\n");
  process.exit(1);
});
