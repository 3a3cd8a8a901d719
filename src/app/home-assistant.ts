/**
 * Home Assistant MQTT discovery: the device config (built by tools/build/home-assistant.ts) is
 * published retained after the first CONNACK of a boot, ahead of the readings, and again when
 * Home Assistant announces itself on `<discovery prefix>/status` (it restarted, or the broker
 * lost its retained messages and Home Assistant reconnected); not at every reconnect.
 */
import type { WireString } from "../mqtt/packets";
import type { Log } from "../session/ports";
import { SessionEvent, type MqttSession } from "../session/session";

/** The config's text: built when needed, since it is RAM once built. */
export type DiscoveryPayload = () => WireString;

/** A message on the birth topic: Home Assistant says `online` as it starts. */
export type BirthListener = (payload: string, retained: boolean) => void;

/** `topic`: the config's, `<discovery prefix>/device/<id>/config`. */
export function announceToHomeAssistant(
  session: MqttSession,
  topic: WireString,
  payload: DiscoveryPayload,
  log: Log,
): BirthListener {
  let announced = false;

  function announce(why: string): void {
    announced = true;
    log("[home-assistant] discovery config on " + topic + " (" + why + ")");
    session.publish(topic, payload(), 1, true);
  }

  session.listen((event) => {
    if (event === SessionEvent.CONNECTED && !announced) announce("first connect of this boot");
  });
  // A retained birth message comes again at every subscribe: it is news only once a boot.
  return (message, retained) => {
    if (message === "online" && !(retained && announced)) announce("Home Assistant is online");
  };
}
