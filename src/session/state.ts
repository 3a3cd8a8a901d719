/** The reconnect state machine's states; every change goes through `MqttSession.go` and is logged once. */
export const enum SessionState {
  /** Not started, or stopped after a clean shutdown. */
  STOPPED,
  /** Waiting for the link (Wi-Fi) to come up. */
  NETWORK_CONNECTING,
  /** Link up, opening the TCP (or TLS) connection. */
  TCP_CONNECTING,
  /** TCP open, CONNECT sent, waiting for CONNACK. */
  MQTT_CONNECTING,
  CONNECTED,
  /** Waiting before the next attempt (exponential backoff, full jitter). */
  BACKOFF,
  /** Clean shutdown: `offline` status, then DISCONNECT. */
  CLOSING,
}

/** The states' names in order, one string: an array of them held all the time costs 20 JsVars on the device. */
const STATE_TEXT = "STOPPED NETWORK_CONNECTING TCP_CONNECTING MQTT_CONNECTING CONNECTED BACKOFF CLOSING";

/** A state's name for the log. */
export function stateName(state: SessionState): string {
  return STATE_TEXT.split(" ")[state];
}

/** Names indexed by SessionState (tests and tools; the firmware uses stateName). */
export const STATE_NAMES = STATE_TEXT.split(" ");
