/**
 * Where a drained reading's time goes on Espruino's Linux interpreter, measured piece by piece on
 * that interpreter with the modules of src/ compiled and minified as the firmware build does
 * (LOG_LEVEL=info: LOG_INFO true, LOG_DEBUG false):
 *
 * - the whole per-reading path without a socket: the session (src/session), the delivery
 *   (src/app/delivery.ts) and the durable store on Storage (the Linux build's fake flash,
 *   ./espruino.flash, opened, sought, read or written and closed on every flash access),
 *   connected to a transport that keeps what is written; each PUBLISH is answered with its
 *   PUBACK at once, as the broker would;
 * - the store alone (next + sent + delivered per drained reading, append per stored one), on
 *   Storage and on a flash kept in RAM (Uint8Arrays with Storage's rules, in JavaScript);
 * - the pieces of the session's path per message: the topic checks of publish(), serializePublish
 *   with E.toString, the payload, the PUBACK through the stream decoder, and for comparison a
 *   PUBLISH built by native string concatenation as Espruino's MQTT module does;
 * - single Storage.read and Storage.write calls with a few segment files present.
 *
 *   ESPRUINO=/path/to/espruino npx tsx tools/bench/drain-cost.ts
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEspruino } from "./device";
import { isEntryPoint, tempDir } from "./shared";
import { srcModule } from "./store-workload";

export interface DrainCost {
  /** ms per reading through session + delivery + store on Storage, no socket. */
  pipelineMs: number;
  /** ms per drained reading in the store alone (next + sent + delivered): on Storage / in RAM. */
  storeDrainMs: number;
  storeDrainRamMs: number;
  /** ms per reading appended while offline: on Storage / in RAM. */
  storeAppendMs: number;
  storeAppendRamMs: number;
  /** Per message, ms: publish()'s topic checks; serializePublish + E.toString; payload; PUBACK decode; publishText. */
  topicCheckMs: number;
  serializeMs: number;
  payloadMs: number;
  decodeAckMs: number;
  concatPublishMs: number;
  /** One Storage.read of 1 byte / 20 bytes, one Storage.write of 1 byte, ms. */
  readMs: number;
  readRecordMs: number;
  writeMs: number;
  /** Storage calls the store makes per drained reading (counted through a wrapper). */
  storageCallsPerReading: { read: number; write: number };
}

const MARK = "<<cost>>";
const TOPIC = "sensors/bench-drain-ours/temperature";
const PREFIX = '{"device":"bench-drain-ours","seq":';

/** A FlashStorage kept in RAM, with Storage's rules where the store relies on them (ES5). */
const RAM_FLASH = `
function ramFlash(){var f={};
function erased(u,o,n){for(var i=0;i<n;i++)if(u[o+i]!==255)return false;return true}
return{
read:function(n,o,l){var u=f[n];if(u===undefined)return undefined;o=o||0;if(l===undefined)l=u.length-o;if(o+l>u.length)l=u.length-o;return E.toString(new Uint8Array(u.buffer,o,l))},
write:function(n,d,o,size){o=o||0;if(size!==undefined){f[n]=new Uint8Array(size);f[n].fill(255)}var u=f[n];if(u===undefined)throw new Error("no file "+n);
 var b=E.toUint8Array(d);if(o+b.length>u.length)throw new Error("Too much data for file size");if(!erased(u,o,b.length))throw new Error("File already written with different data");u.set(b,o);return true},
erase:function(n){delete f[n]},
list:function(re){var r=[];for(var k in f)if(!re||re.test(k))r.push(k);return r}}}
`;

/** The firmware's per-reading path, without a socket, over `flash`; prints ms per reading. */
function pipeline(backlog: number, flash: string, label: string): string {
  return `
(function(){
var FLASH=${flash};
${"" /* Segment files left by an earlier run in this process are erased first. */}
FLASH.list(/^rs/).forEach(function(n){FLASH.erase(n)});
var store=STORE.openReadingStore(FLASH,E.CRC32,{segments:34,log:function(){}});
for(var i=0;i<${backlog};i++)STORE.appendReading(store,{boot:1,uptime:i,time:1767225600+i*10,centi:2150});
var out=[],ev;
var transport={connect:function(h,p,e){ev=e;return{write:function(b){out.push(E.toString(b))},close:function(){}}}};
var clock={now:function(){return Date.now()},setTimeout:function(f,ms){return setTimeout(f,ms)},clearTimeout:function(id){if(id)clearTimeout(id)}};
var session=SES.createSession({host:"h",port:1,connectPacket:"\\x10\\x0c\\x00\\x04MQTT\\x04\\x02\\x00\\x1e\\x00\\x00",keepalive:30,
 status:{topic:"sensors/bench-drain-ours/status",online:"online",offline:"offline"},backoff:{baseMs:1000,capMs:1000,minMs:100}},
 {clock:clock,transport:transport,network:{isUp:function(){return true},connect:function(d){d()},onDown:function(){}},random:Math.random,log:function(){}});
var delivery=DLV.createDelivery(session,store,{uptime:function(){return 1},unixTime:function(){return 1767225600}},
 {topic:${JSON.stringify(TOPIC)},format:{prefix:${JSON.stringify(PREFIX)},valueKey:',"temperature":'},readAhead:2,boot:1},function(){});
session.start();ev(0);out=[];${"" /* ConnectionEvent.OPEN; DATA is 1 */}
ev(1,E.toUint8Array("\\x20\\x02\\x00\\x00"));
var acked=0,t=0;
while(out.length){var p=out.shift();if((p.charCodeAt(0)>>4)!==3)continue;
 var at=1;while(p.charCodeAt(at)&128)at++;at++;var id=p.substr(at+2+((p.charCodeAt(at)<<8)|p.charCodeAt(at+1)),2);
 if(acked===1)t=getTime();${"" /* timed from the first reading's PUBACK: the status goes first */}
 ev(1,E.toUint8Array("\\x40\\x02"+id));acked++;}
var ms=(getTime()-t)*1000/(acked-1);
print("${MARK}"+JSON.stringify({what:"${label}",ms:ms,delivered:acked-1}));
session.stop();
})();
`;
}

/** The store alone: append a backlog, then drain it; ms per reading each way; Storage calls counted. */
function storeOnly(backlog: number, flash: string, label: string): string {
  return `
(function(){
var F=${flash},calls={read:0,write:0};
F.list(/^rs/).forEach(function(n){F.erase(n)});
var C={read:function(n,o,l){calls.read++;return F.read(n,o,l)},write:function(n,d,o,s){calls.write++;return s===undefined?F.write(n,d,o):F.write(n,d,o,s)},erase:function(n){F.erase(n)},list:function(r){return F.list(r)}};
var store=STORE.openReadingStore(C,E.CRC32,{segments:34,log:function(){}});
var t=getTime();
for(var i=0;i<${backlog};i++)STORE.appendReading(store,{boot:1,uptime:i,time:1767225600+i*10,centi:2150});
var append=(getTime()-t)*1000/${backlog};
calls={read:0,write:0};t=getTime();var r,n=0;
while((r=STORE.nextReading(store))){STORE.markSent(store,r.seq);STORE.markDelivered(store,r.seq);n++}
var drain=(getTime()-t)*1000/n;
print("${MARK}"+JSON.stringify({what:"${label}",append:append,drain:drain,read:calls.read/n,write:calls.write/n}));
})();
`;
}

const PIECES = `
(function(){
var N=300,i,t,payload=RD.readingPayload({prefix:${JSON.stringify(PREFIX)},valueKey:',"temperature":'},{seq:1234,boot:1,uptime:12,time:1767225600,centi:2150},1767225600);
var topic=${JSON.stringify(TOPIC)},r={};
t=getTime();for(i=0;i<N;i++){TOP.topicNameError(topic)||UTF.isUtf8(topic,0,topic.length)}r.topic=(getTime()-t)*1000/N;
t=getTime();for(i=0;i<N;i++)E.toString(SER.serializePublish({topic:topic,payload:payload,qos:1,dup:false,retain:false,id:(i%65535)+1}));r.serialize=(getTime()-t)*1000/N;
t=getTime();for(i=0;i<N;i++)RD.readingPayload({prefix:${JSON.stringify(PREFIX)},valueKey:',"temperature":'},{seq:1234+i,boot:1,uptime:12,time:1767225600,centi:2150},1767225600);r.payload=(getTime()-t)*1000/N;
var dec=DEC.createPacketStream(4096),got=0,cb=function(){got++};
t=getTime();for(i=0;i<N;i++)DEC.pushBytes(dec,E.toUint8Array("\\x40\\x02\\x00\\x05"),cb);r.decode=(getTime()-t)*1000/N;
t=getTime();for(i=0;i<N;i++)SER.publishText({topic:topic,payload:payload,qos:1,dup:false,retain:false,id:(i%65535)+1});
r.concat=(getTime()-t)*1000/N;
print("${MARK}"+JSON.stringify({what:"pieces",topic:r.topic,serialize:r.serialize,payload:r.payload,decode:r.decode,concat:r.concat,got:got}));
})();
`;

/** Single Storage calls: 1-byte and 20-byte reads of a segment, 1-byte writes into erased bytes. */
const STORAGE_CALLS = `
(function(){
var S=require("Storage");
for(var k=1;k<=6;k++)S.write("rs1_"+k,"RS\\x01\\x14",0,4096);
var N=500,t=getTime();
for(var i=0;i<N;i++)S.read("rs1_3",190+(i%186),1);
var read=(getTime()-t)*1000/N;t=getTime();
for(i=0;i<N;i++)S.read("rs1_3",376+(i%186)*20,20);
var rec=(getTime()-t)*1000/N;
S.write("rs1_w","x",0,4096);t=getTime();
for(i=0;i<N;i++)S.write("rs1_w","\\x00",1+i);
var write=(getTime()-t)*1000/N;
print("${MARK}"+JSON.stringify({what:"calls",read:read,rec:rec,write:write}));
})();
`;

/** Each measurement runs `repeats` times, in a fresh interpreter each; the fastest counts (the machine is shared). */
export async function measureDrainCost(espruino: string, backlog = 400, repeats = 3): Promise<DrainCost> {
  const modules = (
    await Promise.all([
      srcModule("src/store/reading-store.ts", "STORE"),
      srcModule("src/session/session.ts", "SES"),
      srcModule("src/app/delivery.ts", "DLV"),
      srcModule("src/app/reading.ts", "RD"),
      srcModule("src/mqtt/serialize.ts", "SER"),
      srcModule("src/mqtt/stream-decoder.ts", "DEC"),
      srcModule("src/mqtt/topic.ts", "TOP"),
      srcModule("src/mqtt/utf8.ts", "UTF"),
    ])
  ).join("\n");
  const runs: Array<[string, string]> = [
    ["pipeline", pipeline(backlog, 'require("Storage")', "pipeline")],
    ["store", storeOnly(backlog, 'require("Storage")', "store")],
    ["storeRam", storeOnly(backlog, "ramFlash()", "storeRam")],
    ["pieces", PIECES],
    ["calls", STORAGE_CALLS],
  ];
  const results: Record<string, Record<string, number>> = {};
  for (let k = 0; k < repeats; k++) {
    for (const [label, body] of runs) {
      const dir = tempDir("bench-drain-cost-");
      try {
        writeFileSync(join(dir, "cost.js"), modules + "\n" + RAM_FLASH + body);
        const device = startEspruino(espruino, "cost.js", dir, "drain cost");
        try {
          const line = await device.waitFor(new RegExp(MARK), 120000);
          const got: Record<string, number> = JSON.parse(line.text.slice(line.text.indexOf(MARK) + MARK.length));
          const best = (results[label] ??= got);
          for (const [key, value] of Object.entries(got))
            if (typeof value === "number" && value < best[key]) best[key] = value;
        } finally {
          await device.kill();
        }
      } finally {
        // BENCH_KEEP=1 keeps each script and its flash file for a look.
        if (process.env.BENCH_KEEP) console.error(`[drain cost] ${label}: ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (results.pipeline.delivered < backlog)
    throw new Error(`drain cost: the pipeline delivered ${results.pipeline.delivered} of ${backlog}`);
  return {
    pipelineMs: results.pipeline.ms,
    storeDrainMs: results.store.drain,
    storeDrainRamMs: results.storeRam.drain,
    storeAppendMs: results.store.append,
    storeAppendRamMs: results.storeRam.append,
    topicCheckMs: results.pieces.topic,
    serializeMs: results.pieces.serialize,
    payloadMs: results.pieces.payload,
    decodeAckMs: results.pieces.decode,
    concatPublishMs: results.pieces.concat,
    readMs: results.calls.read,
    readRecordMs: results.calls.rec,
    writeMs: results.calls.write,
    storageCallsPerReading: { read: results.store.read, write: results.store.write },
  };
}

if (isEntryPoint(import.meta.url)) {
  const espruino = process.env.ESPRUINO;
  if (!espruino) throw new Error("needs ESPRUINO");
  console.log(await measureDrainCost(espruino));
}
