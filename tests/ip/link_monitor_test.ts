import assert from "node:assert/strict";
import { parseLinkLine } from "../../lib/ip/link_monitor.ts";

Deno.test("parseLinkLine() reads carrier, admin state and removal", async (t) => {
  const cases: Array<[string, ReturnType<typeof parseLinkLine>]> = [
    [
      "3: eth0@if10000: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc " +
      "noqueue state UP group default \\    link/ether 6a:8f:f8:32:71:38",
      { name: "eth0", index: 3, usable: true, deleted: false },
    ],
    [
      "3: eth0@if10000: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500",
      { name: "eth0", index: 3, usable: false, deleted: false },
    ],
    [
      "2: b0@a0: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN",
      { name: "b0", index: 2, usable: false, deleted: false },
    ],
    [
      "Deleted 3: a0@NONE: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
      { name: "a0", index: 3, usable: false, deleted: true },
    ],
    [
      "7: eth0.100@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500",
      { name: "eth0.100", index: 7, usable: true, deleted: false },
    ],
    ["    link/ether 6a:8f:f8:32:71:38 brd ff:ff:ff:ff:ff:ff", undefined],
    ["", undefined],
  ];
  for (const [line, expected] of cases) {
    await t.step(line.slice(0, 60) || "(empty)", () => {
      assert.deepEqual(parseLinkLine(line), expected);
    });
  }
});
