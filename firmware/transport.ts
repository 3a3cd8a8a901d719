/**
 * The session's transport over Espruino's `net` or `tls` socket. Bytes become binary strings here
 * and nowhere else: a Uint8Array handed to `socket.write` would go out as its decimal text.
 * Espruino's native E.toString / E.toUint8Array convert (since 2v18 E.toString always returns a
 * string); src/mqtt/binary-string.ts is the portable equivalent.
 */
import type { Transport } from "../src/session/ports";
import type { TlsCredentials } from "./config";

/** `tls` undefined: plain TCP. */
export function espruinoTransport(tls: TlsCredentials | undefined): Transport {
  return {
    connect(host, port, events) {
      let ended = false;
      // `error` and `close` may both come, in either order: the session hears of the end once.
      const end = (reason: string) => {
        if (!ended) events.closed(reason);
        ended = true;
      };
      const onOpen = () => events.open();
      // Only the certificates that are set: an option present as undefined crashes Espruino 2v29.
      const socket = tls
        ? require("tls").connect(Object.assign({ host, port }, tls), onOpen)
        : require("net").connect({ host, port }, onOpen);
      socket.on("data", (data) => events.data(E.toUint8Array(data)));
      socket.on("drain", () => events.drain());
      socket.on("error", (e) => end(typeof e === "string" ? e : e.message || "socket error"));
      socket.on("close", () => end("closed"));
      return {
        // E.toString copies even a string (11 JsVars for a 137-byte PUBLISH, measured).
        write: (bytes) => socket.write(typeof bytes === "string" ? bytes : E.toString(bytes)),
        close: () => {
          ended = true;
          socket.removeAllListeners();
          socket.end();
        },
      };
    },
  };
}
