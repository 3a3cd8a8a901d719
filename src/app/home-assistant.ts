/**
 * Home Assistant MQTT discovery: the device config (built by tools/build/home-assistant.ts) is
 * published retained after the first CONNACK of a boot, ahead of the readings, and again when
 * Home Assistant announces itself on `<discovery prefix>/status` (it restarted, or the broker
 * lost its retained messages and Home Assistant reconnected); not at every reconnect.
 */
import type { WireString } from "../mqtt/packets";
import type { Log } from "../session/ports";
import { SessionEvent, type MqttSession } from "../session/session";

export interface Discovery {
  topic: WireString;
  /** Home Assistant's birth topic, `<discovery prefix>/status`. */
  birthTopic: WireString;
  /** The config's text: built when needed, since it is RAM once built. */
  payload(): WireString;
}

/** A message on the birth topic: Home Assistant says `online` as it starts. */
export type BirthListener = (payload: string, retained: boolean) => void;

export function announceToHomeAssistant(session: MqttSession, discovery: Discovery, log: Log): BirthListener {
  let announced = false;

  function announce(why: string): void {
    announced = true;
    log("[home-assistant] discovery config on " + discovery.topic + " (" + why + ")");
    session.publish(discovery.topic, discovery.payload(), 1, true);
  }

  session.listen((event) => {
    if (event === SessionEvent.CONNECTED && !announced) announce("first connect of this boot");
  });
  // A retained birth message comes again at every subscribe: it is news only once a boot.
  return (payload, retained) => {
    if (payload === "online" && !(retained && announced)) announce("Home Assistant is online");
  };
}
