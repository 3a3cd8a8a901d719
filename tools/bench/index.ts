/**
 * `npm run bench`: every benchmark, each figure beside its target. Figures, not pass/fail tests:
 * peers are measured in the same run and compared as ratios.
 */
import { benchCodec, formatRows } from "./codec";

const { rows } = await benchCodec();
console.log("Codec (Node, same run as mqtt-packet)\n" + formatRows(rows));
