// One bundle per board in boards/ (BOARD=<name> for one). The build logic is in tools/build/.
import { buildTargets } from "./tools/build/targets.ts";

export default buildTargets(process.env);
