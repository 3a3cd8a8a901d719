/**
 * Builds `linux` bundles for the reliability suite in a child process, one JSON request a line on
 * stdin ({id, settings, out}), one answer a line on stdout ({id, error?}). A build type-checks and
 * minifies for a second or more of CPU: in the test process it would stall the event loop that
 * time-stamps the devices' console lines and drives the proxies and brokers. One process for all
 * builds keeps TypeScript loaded.
 */
import { createInterface } from "node:readline";
import { buildBundle } from "../../tools/build/build-bundle";

interface Request {
  id: number;
  settings: Record<string, string>;
  out: string;
}

function answer(message: { id: number; error?: string }): void {
  process.stdout.write(JSON.stringify(message) + "\n");
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  const request = JSON.parse(line) as Request;
  queue = queue.then(() =>
    buildBundle("linux", request.settings, request.out).then(
      () => answer({ id: request.id }),
      (e: Error) => answer({ id: request.id, error: e.stack || e.message }),
    ),
  );
});
