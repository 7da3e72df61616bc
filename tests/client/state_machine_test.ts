import assert from "node:assert/strict";
import {
  BOOTREQUEST,
  MessageType,
  OptionCode,
} from "../../lib/dhcp/constants.ts";
import type { DhcpMessage } from "../../lib/dhcp/message.ts";
import { encodeIpv4List, encodeUint32 } from "../../lib/dhcp/option_values.ts";
import {
  requestedIpAddress,
  serverIdentifier,
} from "../../lib/dhcp/option_values.ts";
import {
  type ClientAction,
  type ClientConfig,
  type ClientEvent,
  ClientStateMachine,
} from "../../lib/client/state_machine.ts";
import { FakeClock, MAC, reply, type ReplyInit, SERVER } from "./_fixtures.ts";

const ADDRESS = "192.0.2.10";
const OTHER_SERVER = "192.0.2.2";

type Send = Extract<ClientAction, { type: "send" }>;
type Bind = Extract<ClientAction, { type: "bind" }>;
type Deconfigure = Extract<ClientAction, { type: "deconfigure" }>;
type Log = Extract<ClientAction, { type: "log" }>;

/** A machine on a fake clock that checks every log names the interface. */
class Harness {
  clock = new FakeClock();
  machine: ClientStateMachine;

  constructor(config: Partial<ClientConfig> = {}) {
    this.machine = new ClientStateMachine({
      interface: "eth0",
      hardwareAddress: MAC,
      random: () => 0.5,
      ...config,
    }, this.clock);
  }

  handle(event: ClientEvent): ClientAction[] {
    const actions = this.machine.handle(event);
    for (const action of actions) {
      if (action.type === "log") {
        assert.equal(action.properties["interface"], "eth0", action.message);
        assert.match(action.message, /^\{interface\}: [a-z{]/);
      }
    }
    return actions;
  }

  /** Moves the clock to the deadline and delivers "timeout". */
  expire(): ClientAction[] {
    const deadline = this.machine.deadline;
    assert.ok(deadline !== undefined, "no deadline");
    this.clock.time = deadline;
    return this.handle({ type: "timeout" });
  }

  receive(type: number, init: Partial<ReplyInit> = {}): ClientAction[] {
    return this.handle({
      type: "receive",
      message: reply(type, { xid: this.machine.xid ?? -1, ...init }),
    });
  }

  /** start, DHCPOFFER and DHCPACK: returns the ACK's actions. */
  bind(ack: Partial<ReplyInit> = {}): ClientAction[] {
    this.handle({ type: "start" });
    this.receive(MessageType.OFFER);
    return this.receive(MessageType.ACK, ack);
  }
}

function sends(actions: ClientAction[]): Send[] {
  return actions.filter((a): a is Send => a.type === "send");
}

function onlySend(actions: ClientAction[]): Send {
  const found = sends(actions);
  assert.equal(found.length, 1, `expected one send, got ${found.length}`);
  return found[0] as Send;
}

function binds(actions: ClientAction[]): Bind[] {
  return actions.filter((a): a is Bind => a.type === "bind");
}

function deconfigures(actions: ClientAction[]): Deconfigure[] {
  return actions.filter((a): a is Deconfigure => a.type === "deconfigure");
}

function logs(actions: ClientAction[], level: Log["level"]): Log[] {
  return actions.filter((a): a is Log => a.type === "log" && a.level === level);
}

function typeOf(message: DhcpMessage): number | undefined {
  return message.options.get(OptionCode.DHCP_MESSAGE_TYPE)?.[0];
}

function assertOnlyLogs(actions: ClientAction[]): void {
  assert.deepEqual(actions.filter((a) => a.type !== "log"), []);
}

/** A random source cycling through distinct values, for distinct xids. */
function sequence(): () => number {
  let i = 0;
  return () => (++i * 0.618033988749895) % 1;
}

Deno.test("start sends the first DHCPDISCOVER at once", () => {
  const h = new Harness();
  assert.equal(h.machine.state, "INIT");
  assert.equal(h.machine.deadline, undefined);
  const send = onlySend(h.handle({ type: "start" }));
  assert.equal(typeOf(send.message), MessageType.DISCOVER);
  assert.equal(send.destination, "broadcast");
  assert.equal(send.message.secs, 0);
  assert.equal(send.message.xid, h.machine.xid);
  assert.equal(requestedIpAddress(send.message.options), undefined);
  assert.equal(h.machine.state, "SELECTING");
  assert.equal(h.machine.deadline, 4000);
});

Deno.test("DHCPDISCOVER is retransmitted 4, 8, ... 64 s apart, jittered", async (t) => {
  const bases = [4, 8, 16, 32, 64, 64, 64, 64];
  for (
    const [name, value, jitter] of [["low", 0, -1000], [
      "high",
      0.999,
      998,
    ]] as const
  ) {
    await t.step(`${name} jitter`, () => {
      const h = new Harness({ random: () => value });
      const first = onlySend(h.handle({ type: "start" }));
      let previous = 0;
      for (const base of bases) {
        const deadline = h.machine.deadline ?? NaN;
        const delay = deadline - previous;
        assert.ok(
          Math.abs(delay - (base * 1000 + jitter)) < 1,
          `delay ${delay} for ${base} s`,
        );
        assert.ok(Math.abs(delay - base * 1000) <= 1000);
        previous = deadline;
        const send = onlySend(h.expire());
        assert.equal(typeOf(send.message), MessageType.DISCOVER);
        assert.equal(send.message.xid, first.message.xid);
        assert.equal(send.message.secs, Math.floor(deadline / 1000));
        assert.equal(h.machine.state, "SELECTING");
      }
    });
  }
});

Deno.test("retransmitCap shortens the DHCPDISCOVER schedule", () => {
  const h = new Harness({ retransmitCap: 10_000 });
  h.handle({ type: "start" });
  let previous = 0;
  for (const base of [4, 8, 10, 10, 10]) {
    const deadline = h.machine.deadline ?? NaN;
    assert.equal(deadline - previous, base * 1000);
    previous = deadline;
    assert.equal(typeOf(onlySend(h.expire()).message), MessageType.DISCOVER);
  }
});

Deno.test("discoverTries ends an acquisition with leasefail, then starts over", () => {
  const h = new Harness({ discoverTries: 3 });
  const first = onlySend(h.handle({ type: "start" }));
  assert.equal(typeOf(onlySend(h.expire()).message), MessageType.DISCOVER);
  assert.equal(typeOf(onlySend(h.expire()).message), MessageType.DISCOVER);
  // The third DHCPDISCOVER went unanswered for its whole wait.
  const failed = h.expire();
  assert.deepEqual(sends(failed), []);
  assert.deepEqual(
    failed.filter((a) => a.type === "leasefail"),
    [{ type: "leasefail", tries: 3 }],
  );
  assert.ok(
    failed.some((a) =>
      a.type === "log" && a.level === "warning" &&
      /no lease after \{tries\} DHCPDISCOVERs/.test(a.message)
    ),
  );
  assert.equal(h.machine.state, "INIT");
  // After the failure delay a new transaction starts on a fresh schedule.
  const again = onlySend(h.expire());
  assert.equal(typeOf(again.message), MessageType.DISCOVER);
  // secs counts from the new exchange's start (the xid is new too, but the
  // harness's constant randomness makes it equal).
  assert.equal(again.message.secs, 0);
  assert.equal(first.message.secs, 0);
  assert.equal(h.machine.state, "SELECTING");
  assert.equal((h.machine.deadline ?? NaN) - h.clock.time, 4000);
  // An offer in the new round is taken as usual.
  h.receive(MessageType.OFFER);
  const bound = h.receive(MessageType.ACK);
  assert.ok(bound.some((a) => a.type === "bind"));
});

Deno.test("without discoverTries DHCPDISCOVER never gives up", () => {
  const h = new Harness();
  h.handle({ type: "start" });
  for (let i = 0; i < 50; i++) {
    const actions = h.expire();
    assert.ok(!actions.some((a) => a.type === "leasefail"));
    assert.equal(typeOf(onlySend(actions).message), MessageType.DISCOVER);
  }
});

Deno.test("the first valid DHCPOFFER wins", () => {
  const h = new Harness();
  const discover = onlySend(h.handle({ type: "start" }));
  h.clock.time = 1500;
  const request = onlySend(h.receive(MessageType.OFFER));
  assert.equal(h.machine.state, "REQUESTING");
  assert.equal(typeOf(request.message), MessageType.REQUEST);
  assert.equal(request.destination, "broadcast");
  assert.equal(request.message.xid, discover.message.xid);
  assert.equal(request.message.ciaddr, "0.0.0.0");
  assert.equal(request.message.secs, discover.message.secs);
  assert.equal(requestedIpAddress(request.message.options), ADDRESS);
  assert.equal(serverIdentifier(request.message.options), SERVER);
  assert.equal(h.machine.deadline, 1500 + 4000);
  const second = h.receive(MessageType.OFFER, {
    server: OTHER_SERVER,
    yiaddr: "192.0.2.20",
  });
  assertOnlyLogs(second);
  assert.equal(logs(second, "debug").length, 1);
  assert.equal(h.machine.state, "REQUESTING");
});

Deno.test("SELECTING drops replies that are not valid offers", async (t) => {
  const cases: Array<[string, number, Partial<ReplyInit>]> = [
    ["wrong xid", MessageType.OFFER, { xid: 12345 }],
    ["wrong chaddr", MessageType.OFFER, { chaddr: new Uint8Array(6) }],
    ["op BOOTREQUEST", MessageType.OFFER, { op: BOOTREQUEST }],
    ["no server identifier", MessageType.OFFER, { server: undefined }],
    ["yiaddr 0.0.0.0", MessageType.OFFER, { yiaddr: "0.0.0.0" }],
    ["multicast yiaddr", MessageType.OFFER, { yiaddr: "224.0.0.1" }],
    ["DHCPACK", MessageType.ACK, {}],
    ["DHCPNAK", MessageType.NAK, {}],
  ];
  for (const [name, type, init] of cases) {
    await t.step(name, () => {
      const h = new Harness();
      h.handle({ type: "start" });
      const actions = h.receive(type, init);
      assertOnlyLogs(actions);
      assert.equal(logs(actions, "debug").length, 1);
      assert.equal(h.machine.state, "SELECTING");
      assert.equal(h.machine.deadline, 4000);
    });
  }
  await t.step("malformed message type", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    const message = reply(MessageType.OFFER, { xid: h.machine.xid ?? 0 });
    message.options.set(OptionCode.DHCP_MESSAGE_TYPE, new Uint8Array([2, 2]));
    assertOnlyLogs(h.handle({ type: "receive", message }));
    assert.equal(h.machine.state, "SELECTING");
  });
  await t.step("no message type (BOOTP)", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    const message = reply(MessageType.OFFER, { xid: h.machine.xid ?? 0 });
    message.options.delete(OptionCode.DHCP_MESSAGE_TYPE);
    assertOnlyLogs(h.handle({ type: "receive", message }));
    assert.equal(h.machine.state, "SELECTING");
  });
});

Deno.test("REQUESTING takes answers only from the chosen server", async (t) => {
  for (const type of [MessageType.ACK, MessageType.NAK]) {
    await t.step(`${type === MessageType.ACK ? "DHCPACK" : "DHCPNAK"}`, () => {
      const h = new Harness();
      h.handle({ type: "start" });
      h.receive(MessageType.OFFER);
      const actions = h.receive(type, { server: OTHER_SERVER });
      assertOnlyLogs(actions);
      assert.match(logs(actions, "debug")[0]?.message ?? "", /dropped/);
      assert.equal(h.machine.state, "REQUESTING");
      const wrongXid = h.receive(type, { xid: 1 });
      assertOnlyLogs(wrongXid);
      assert.equal(h.machine.state, "REQUESTING");
    });
  }
});

Deno.test("DHCPACK binds with T1 as the deadline, counted from the DHCPREQUEST", () => {
  const h = new Harness();
  h.handle({ type: "start" });
  h.clock.time = 1000;
  h.receive(MessageType.OFFER);
  h.clock.time = 3000;
  const actions = h.receive(MessageType.ACK);
  const [bind] = binds(actions);
  assert.ok(bind);
  assert.equal(bind.reason, "bound");
  assert.equal(bind.previous, undefined);
  assert.equal(bind.lease.address, ADDRESS);
  assert.equal(bind.lease.acquiredAt, 1000);
  assert.equal(h.machine.state, "BOUND");
  assert.equal(h.machine.lease, bind.lease);
  assert.equal(h.machine.deadline, 1000 + 1800 * 1000);
  const info = logs(actions, "info");
  assert.equal(info.length, 1);
  assert.equal(
    info[0]?.message,
    "{interface}: leased {address}/{prefix} from {server} for {leaseTime} s",
  );
  assert.equal(info[0]?.properties["leaseTime"], 3600);
});

Deno.test("BOUND uses T1 from option 58", () => {
  const h = new Harness();
  h.bind({
    extra: [[OptionCode.RENEWAL_TIME_VALUE, encodeUint32(100)]],
  });
  assert.equal(h.machine.deadline, 100_000);
});

Deno.test("inconsistent T1/T2 are corrected with a warning log", () => {
  const h = new Harness();
  const actions = h.bind({
    extra: [
      [OptionCode.RENEWAL_TIME_VALUE, encodeUint32(3000)],
      [OptionCode.REBINDING_TIME_VALUE, encodeUint32(2000)],
    ],
  });
  const warnings = logs(actions, "warning");
  assert.equal(warnings.length, 1);
  assert.match(
    String(warnings[0]?.properties["warning"]),
    /corrected inconsistent timers/,
  );
  assert.equal(h.machine.deadline, 1800_000);
});

Deno.test("an infinite lease has no deadline", () => {
  const h = new Harness();
  h.bind({ leaseTime: 0xffffffff });
  assert.equal(h.machine.state, "BOUND");
  assert.equal(h.machine.deadline, undefined);
});

Deno.test("REQUEST is retransmitted 4 times, then INIT after a delay", () => {
  const h = new Harness({ random: sequence() });
  h.handle({ type: "start" });
  const firstXid = h.machine.xid;
  h.receive(MessageType.OFFER);
  for (let i = 0; i < 4; i++) {
    const send = onlySend(h.expire());
    assert.equal(typeOf(send.message), MessageType.REQUEST);
    assert.equal(send.message.xid, firstXid);
    assert.equal(h.machine.state, "REQUESTING");
  }
  const giveUp = h.expire();
  assert.deepEqual(sends(giveUp), []);
  assert.equal(logs(giveUp, "warning").length, 1);
  assert.equal(h.machine.state, "INIT");
  const waited = (h.machine.deadline ?? NaN) - h.clock.time;
  assert.ok(waited >= 500 && waited < 1000, `waited ${waited}`);
  const discover = onlySend(h.expire());
  assert.equal(typeOf(discover.message), MessageType.DISCOVER);
  assert.notEqual(discover.message.xid, firstXid);
  assert.equal(discover.message.secs, 0);
  assert.equal(h.machine.state, "SELECTING");
});

Deno.test("RENEWING unicasts to the server and retries per RFC 2131 4.4.5", () => {
  const h = new Harness({ random: sequence() });
  h.bind();
  const boundXid = h.machine.xid;
  // Lease 3600 s from t=0: T1 1800 s, T2 3150 s.
  const renew = h.expire();
  const send = onlySend(renew);
  assert.equal(h.clock.time, 1800_000);
  assert.equal(h.machine.state, "RENEWING");
  assert.equal(logs(renew, "info").length, 1);
  assert.deepEqual(send.destination, { unicast: SERVER });
  assert.equal(typeOf(send.message), MessageType.REQUEST);
  assert.equal(send.message.ciaddr, ADDRESS);
  assert.equal(requestedIpAddress(send.message.options), undefined);
  assert.equal(serverIdentifier(send.message.options), undefined);
  assert.notEqual(send.message.xid, boundXid);
  const t2 = 3150_000;
  const expected: number[] = [];
  for (let now = 1800_000; now < t2;) {
    const remaining = t2 - now;
    now += remaining < 60_000 ? remaining : Math.max(remaining / 2, 60_000);
    expected.push(now);
  }
  // 675 s, 337.5 s, 168.75 s, 84.375 s, then the 60 s floor, then to T2.
  assert.deepEqual(expected.slice(0, 4), [
    2475_000,
    2812_500,
    2981_250,
    3065_625,
  ]);
  for (const deadline of expected.slice(0, -1)) {
    assert.equal(h.machine.deadline, deadline);
    const retry = onlySend(h.expire());
    assert.deepEqual(retry.destination, { unicast: SERVER });
    assert.equal(retry.message.xid, send.message.xid);
    assert.equal(h.machine.state, "RENEWING");
  }
  assert.equal(h.machine.deadline, t2);
  const rebind = h.expire();
  const broadcast = onlySend(rebind);
  assert.equal(h.machine.state, "REBINDING");
  assert.equal(broadcast.destination, "broadcast");
  assert.equal(broadcast.message.ciaddr, ADDRESS);
  assert.equal(serverIdentifier(broadcast.message.options), undefined);
  assert.equal(logs(rebind, "warning").length, 1);
  // 450 s to expiry: 225 s, then 112.5 s, then the floor, then expiry.
  assert.equal(h.machine.deadline, t2 + 225_000);
});

Deno.test("a short lease gets one DHCPREQUEST per phase, then expires", () => {
  const h = new Harness();
  h.bind({ leaseTime: 60 });
  // T1 30 s, T2 52.5 s, expiry 60 s.
  assert.equal(h.machine.deadline, 30_000);
  assert.deepEqual(onlySend(h.expire()).destination, { unicast: SERVER });
  assert.equal(h.machine.state, "RENEWING");
  assert.equal(h.machine.deadline, 52_500);
  assert.equal(onlySend(h.expire()).destination, "broadcast");
  assert.equal(h.machine.state, "REBINDING");
  assert.equal(h.machine.deadline, 60_000);
  const lease = h.machine.lease;
  const actions = h.expire();
  const [deconfigure] = deconfigures(actions);
  assert.equal(deconfigure?.reason, "expire");
  assert.equal(deconfigure?.lease, lease);
  assert.equal(logs(actions, "error").length, 1);
  const discover = onlySend(actions);
  assert.equal(typeOf(discover.message), MessageType.DISCOVER);
  assert.ok(
    actions.indexOf(deconfigure as ClientAction) <
      actions.indexOf(discover),
  );
  assert.equal(h.machine.state, "SELECTING");
  assert.equal(h.machine.lease, undefined);
});

Deno.test("DHCPACK while RENEWING or REBINDING refreshes the lease", async (t) => {
  await t.step("renew", () => {
    const h = new Harness();
    h.bind();
    const old = h.machine.lease;
    h.expire();
    const sentAt = h.clock.time;
    h.clock.time += 2000;
    const actions = h.receive(MessageType.ACK);
    const [bind] = binds(actions);
    assert.equal(bind?.reason, "renew");
    assert.equal(bind?.previous, old);
    assert.equal(bind?.lease.acquiredAt, sentAt);
    assert.deepEqual(deconfigures(actions), []);
    assert.equal(h.machine.state, "BOUND");
    assert.equal(h.machine.deadline, sentAt + 1800_000);
  });
  await t.step("rebind", () => {
    const h = new Harness();
    h.bind();
    h.expire();
    while (h.machine.state === "RENEWING") h.expire();
    assert.equal(h.machine.state, "REBINDING");
    const [bind] = binds(h.receive(MessageType.ACK, { server: OTHER_SERVER }));
    assert.equal(bind?.reason, "rebind");
    assert.equal(bind?.lease.serverIdentifier, OTHER_SERVER);
    assert.equal(h.machine.state, "BOUND");
  });
  await t.step("new address", () => {
    const h = new Harness();
    h.bind();
    const old = h.machine.lease;
    h.expire();
    const actions = h.receive(MessageType.ACK, { yiaddr: "192.0.2.99" });
    const [deconfigure] = deconfigures(actions);
    assert.equal(deconfigure?.lease, old);
    const [bind] = binds(actions);
    assert.equal(bind?.reason, "bound");
    assert.equal(bind?.lease.address, "192.0.2.99");
    assert.ok(
      actions.indexOf(deconfigure as ClientAction) <
        actions.indexOf(bind as ClientAction),
    );
  });
});

Deno.test("DHCPNAK handling per state", async (t) => {
  await t.step("REQUESTING: INIT after a delay, nothing to deconfigure", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    h.receive(MessageType.OFFER);
    const actions = h.receive(MessageType.NAK, {
      extra: [[OptionCode.MESSAGE, new TextEncoder().encode("wrong net")]],
    });
    assert.deepEqual(sends(actions), []);
    assert.deepEqual(deconfigures(actions), []);
    const [warning] = logs(actions, "warning");
    assert.equal(warning?.properties["reason"], "wrong net");
    assert.equal(h.machine.state, "INIT");
    assert.ok((h.machine.deadline ?? 0) > h.clock.time);
  });
  for (const state of ["RENEWING", "REBINDING"] as const) {
    await t.step(`${state}: deconfigure, then INIT after a delay`, () => {
      const h = new Harness();
      h.bind();
      const lease = h.machine.lease;
      h.expire();
      while (h.machine.state !== state) h.expire();
      const actions = h.receive(MessageType.NAK);
      const [deconfigure] = deconfigures(actions);
      assert.equal(deconfigure?.reason, "nak");
      assert.equal(deconfigure?.lease, lease);
      assert.deepEqual(sends(actions), []);
      assert.equal(logs(actions, "warning").length, 1);
      assert.equal(h.machine.state, "INIT");
      assert.equal(h.machine.lease, undefined);
      const discover = onlySend(h.expire());
      assert.equal(requestedIpAddress(discover.message.options), undefined);
    });
  }
  await t.step("a NAK flood backs off instead of flooding", () => {
    const h = new Harness({ random: () => 0 });
    h.handle({ type: "start" });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      h.receive(MessageType.OFFER);
      h.receive(MessageType.NAK);
      waits.push((h.machine.deadline ?? NaN) - h.clock.time);
      h.expire();
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000, 32000, 32000]);
  });
  await t.step("REBOOTING: straight to INIT", () => {
    const h = new Harness();
    h.handle({ type: "start", previousAddress: ADDRESS });
    const actions = h.receive(MessageType.NAK);
    const discover = onlySend(actions);
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
    assert.equal(requestedIpAddress(discover.message.options), undefined);
    assert.deepEqual(deconfigures(actions), []);
    assert.deepEqual(actions.filter((a) => a.type === "refused"), [
      { type: "refused", address: ADDRESS },
    ]);
    assert.equal(h.machine.state, "SELECTING");
  });
});

Deno.test("INIT-REBOOT confirms a previous address", async (t) => {
  await t.step("DHCPACK binds with reason reboot", () => {
    const h = new Harness();
    const send = onlySend(h.handle({
      type: "start",
      previousAddress: ADDRESS,
    }));
    assert.equal(h.machine.state, "REBOOTING");
    assert.equal(send.destination, "broadcast");
    assert.equal(typeOf(send.message), MessageType.REQUEST);
    assert.equal(send.message.ciaddr, "0.0.0.0");
    assert.equal(requestedIpAddress(send.message.options), ADDRESS);
    assert.equal(serverIdentifier(send.message.options), undefined);
    const [bind] = binds(h.receive(MessageType.ACK));
    assert.equal(bind?.reason, "reboot");
    assert.equal(h.machine.state, "BOUND");
  });
  await t.step("no answer in two tries falls back to INIT with a hint", () => {
    const h = new Harness();
    h.handle({ type: "start", previousAddress: ADDRESS });
    assert.equal(h.machine.deadline, 2500);
    const retry = onlySend(h.expire());
    assert.equal(typeOf(retry.message), MessageType.REQUEST);
    assert.equal(h.machine.deadline, 5000);
    const discover = onlySend(h.expire());
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
    assert.equal(requestedIpAddress(discover.message.options), ADDRESS);
    assert.equal(h.machine.state, "SELECTING");
  });
  await t.step("an unusable previous address is ignored", () => {
    const h = new Harness();
    const actions = h.handle({ type: "start", previousAddress: "0.0.0.0" });
    assert.equal(logs(actions, "warning").length, 1);
    assert.equal(typeOf(onlySend(actions).message), MessageType.DISCOVER);
  });
});

Deno.test("an unusable DHCPACK is a failure, but not while renewing", async (t) => {
  await t.step("REQUESTING", () => {
    const h = new Harness();
    const actions = h.bind({ leaseTime: 0 });
    assert.deepEqual(binds(actions), []);
    assert.match(
      String(logs(actions, "warning")[0]?.properties["error"]),
      /lease time of 0/,
    );
    assert.equal(h.machine.state, "INIT");
    assert.ok((h.machine.deadline ?? 0) > h.clock.time);
  });
  await t.step("RENEWING keeps the lease and keeps trying", () => {
    const h = new Harness();
    h.bind();
    h.expire();
    const deadline = h.machine.deadline;
    const actions = h.receive(MessageType.ACK, { yiaddr: "127.0.0.1" });
    assertOnlyLogs(actions);
    assert.equal(logs(actions, "warning").length, 1);
    assert.equal(h.machine.state, "RENEWING");
    assert.equal(h.machine.deadline, deadline);
    assert.ok(h.machine.lease);
  });
});

Deno.test("release sends DHCPRELEASE and deconfigures", async (t) => {
  await t.step("while bound", () => {
    const h = new Harness();
    h.bind();
    const lease = h.machine.lease;
    const actions = h.handle({ type: "release" });
    const send = onlySend(actions);
    assert.equal(typeOf(send.message), MessageType.RELEASE);
    assert.deepEqual(send.destination, { unicast: SERVER });
    assert.equal(send.message.ciaddr, ADDRESS);
    assert.equal(serverIdentifier(send.message.options), SERVER);
    const [deconfigure] = deconfigures(actions);
    assert.equal(deconfigure?.reason, "release");
    assert.equal(deconfigure?.lease, lease);
    assert.ok(
      actions.indexOf(send) < actions.indexOf(deconfigure as Deconfigure),
    );
    assert.equal(h.machine.state, "RELEASED");
    assert.equal(h.machine.deadline, undefined);
    assert.equal(h.machine.lease, undefined);
    assertOnlyLogs(h.receive(MessageType.ACK));
    const discover = onlySend(h.handle({ type: "renew" }));
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
    assert.equal(h.machine.state, "SELECTING");
  });
  await t.step("without a lease", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    assertOnlyLogs(h.handle({ type: "release" }));
    assert.equal(h.machine.state, "RELEASED");
    assert.equal(h.machine.deadline, undefined);
    const discover = onlySend(h.handle({ type: "start" }));
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
  });
});

Deno.test("link changes", async (t) => {
  await t.step("down while bound, up reboots", () => {
    const h = new Harness();
    h.bind();
    const lease = h.machine.lease;
    const down = h.handle({ type: "link-down" });
    assert.equal(deconfigures(down)[0]?.reason, "link-down");
    assert.equal(deconfigures(down)[0]?.lease, lease);
    assert.deepEqual(sends(down), []);
    assert.equal(h.machine.state, "INIT-REBOOT");
    assert.equal(h.machine.deadline, undefined);
    assertOnlyLogs(h.handle({ type: "renew" }));
    h.clock.time = 60_000;
    const up = onlySend(h.handle({ type: "link-up" }));
    assert.equal(typeOf(up.message), MessageType.REQUEST);
    assert.equal(requestedIpAddress(up.message.options), ADDRESS);
    assert.equal(h.machine.state, "REBOOTING");
    assert.equal(binds(h.receive(MessageType.ACK))[0]?.reason, "reboot");
  });
  await t.step("up after the lease expired discovers with a hint", () => {
    const h = new Harness();
    h.bind();
    h.handle({ type: "link-down" });
    h.clock.time = 3600_000;
    const discover = onlySend(h.handle({ type: "link-up" }));
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
    assert.equal(requestedIpAddress(discover.message.options), ADDRESS);
  });
  await t.step("down while selecting, up discovers", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    assertOnlyLogs(h.handle({ type: "link-down" }));
    assert.equal(h.machine.state, "INIT");
    assert.equal(h.machine.deadline, undefined);
    const discover = onlySend(h.handle({ type: "link-up" }));
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
  });
  await t.step("start while down waits for the link", () => {
    const h = new Harness();
    h.handle({ type: "link-down" });
    assertOnlyLogs(h.handle({ type: "start" }));
    assert.equal(h.machine.deadline, undefined);
    const discover = onlySend(h.handle({ type: "link-up" }));
    assert.equal(typeOf(discover.message), MessageType.DISCOVER);
  });
  await t.step("up while up is ignored", () => {
    const h = new Harness();
    h.bind();
    assertOnlyLogs(h.handle({ type: "link-up" }));
    assert.equal(h.machine.state, "BOUND");
  });
});

Deno.test("renew requests", async (t) => {
  await t.step("BOUND renews now", () => {
    const h = new Harness();
    h.bind();
    h.clock.time = 10_000;
    const send = onlySend(h.handle({ type: "renew" }));
    assert.deepEqual(send.destination, { unicast: SERVER });
    assert.equal(h.machine.state, "RENEWING");
  });
  await t.step("INIT backoff acquires now", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    h.receive(MessageType.OFFER);
    h.receive(MessageType.NAK);
    assert.equal(h.machine.state, "INIT");
    const send = onlySend(h.handle({ type: "renew" }));
    assert.equal(typeOf(send.message), MessageType.DISCOVER);
    assert.equal(h.machine.state, "SELECTING");
  });
  await t.step("SELECTING ignores it", () => {
    const h = new Harness();
    h.handle({ type: "start" });
    assertOnlyLogs(h.handle({ type: "renew" }));
  });
});

Deno.test("stop leaves everything in place and ignores what follows", () => {
  const h = new Harness();
  h.bind();
  assertOnlyLogs(h.handle({ type: "stop" }));
  assert.equal(h.machine.state, "STOPPED");
  assert.equal(h.machine.deadline, undefined);
  h.clock.time = 10_000_000;
  assertOnlyLogs(h.handle({ type: "timeout" }));
  assertOnlyLogs(h.receive(MessageType.ACK, { xid: 1 }));
  assertOnlyLogs(h.handle({ type: "renew" }));
  assert.equal(h.machine.state, "STOPPED");
});

Deno.test("replies when nothing is expected are dropped", () => {
  const h = new Harness();
  assertOnlyLogs(h.receive(MessageType.OFFER, { xid: 1 }));
  h.bind();
  const actions = h.receive(MessageType.ACK, { xid: 1 });
  assertOnlyLogs(actions);
  assert.equal(logs(actions, "debug").length, 1);
  assert.equal(h.machine.state, "BOUND");
});

Deno.test("an early timeout is ignored", () => {
  const h = new Harness();
  h.handle({ type: "start" });
  h.clock.time = 3999;
  assertOnlyLogs(h.handle({ type: "timeout" }));
  assert.equal(h.machine.deadline, 4000);
});

Deno.test("a second start is ignored", () => {
  const h = new Harness();
  h.handle({ type: "start" });
  assertOnlyLogs(h.handle({ type: "start" }));
  assert.equal(h.machine.state, "SELECTING");
});

Deno.test("the constructor rejects an invalid identity", () => {
  assert.throws(
    () =>
      new ClientStateMachine(
        { interface: "eth0", hardwareAddress: new Uint8Array(4) },
        new FakeClock(),
      ),
    RangeError,
  );
  assert.throws(
    () =>
      new ClientStateMachine(
        { interface: "eth0", hardwareAddress: MAC, fqdn: "a..b" },
        new FakeClock(),
      ),
    RangeError,
  );
  for (const config of [{ discoverTries: -1 }, { discoverTries: 1.5 }]) {
    assert.throws(
      () =>
        new ClientStateMachine(
          { interface: "eth0", hardwareAddress: MAC, ...config },
          new FakeClock(),
        ),
      /DHCPDISCOVER tries must be a whole number/,
    );
  }
  assert.throws(
    () =>
      new ClientStateMachine(
        { interface: "eth0", hardwareAddress: MAC, retransmitCap: 1000 },
        new FakeClock(),
      ),
    /Retransmission cap must be a whole number of milliseconds of at least 2000/,
  );
});

Deno.test("routers from the DHCPACK reach the bind action", () => {
  const h = new Harness();
  const [bind] = binds(h.bind({
    extra: [[OptionCode.ROUTER, encodeIpv4List(["192.0.2.254"])]],
  }));
  assert.deepEqual(bind?.lease.routers, ["192.0.2.254"]);
});

Deno.test("start after stop replaces the lease left in place", () => {
  const h = new Harness();
  h.bind();
  const lease = h.machine.lease;
  h.handle({ type: "stop" });
  assert.equal(h.machine.lease, lease);
  const actions = h.handle({ type: "start" });
  const [deconfigure] = deconfigures(actions);
  assert.equal(deconfigure?.reason, "stop");
  assert.equal(deconfigure?.lease, lease);
  const send = onlySend(actions);
  assert.equal(h.machine.state, "REBOOTING");
  assert.equal(requestedIpAddress(send.message.options), ADDRESS);
  assert.equal(h.machine.lease, undefined);
});

Deno.test("an unusable DHCPACK while REBOOTING waits before INIT", () => {
  const h = new Harness();
  h.handle({ type: "start", previousAddress: ADDRESS });
  const actions = h.receive(MessageType.ACK, { server: undefined });
  assertOnlyLogs(actions);
  assert.equal(h.machine.state, "INIT");
  assert.ok((h.machine.deadline ?? 0) > h.clock.time);
});

Deno.test("DHCPREQUEST repeats the secs of the DHCPDISCOVER it answers", () => {
  const h = new Harness();
  h.handle({ type: "start" });
  h.expire();
  h.expire();
  const discoverSecs = Math.floor(h.clock.time / 1000);
  h.clock.time += 1500;
  const request = onlySend(h.receive(MessageType.OFFER));
  assert.equal(request.message.secs, discoverSecs);
  h.clock.time = h.machine.deadline ?? NaN;
  assert.equal(onlySend(h.expire()).message.secs, discoverSecs);
});

Deno.test("random event sequences never throw and keep invariants", () => {
  // A small deterministic generator so a failure can be replayed.
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(next() * items.length)] as T;
  const types = [
    MessageType.OFFER,
    MessageType.ACK,
    MessageType.NAK,
    MessageType.REQUEST,
  ];
  for (let run = 0; run < 300; run++) {
    const h = new Harness({ random: next });
    let configured: string | undefined;
    for (let step = 0; step < 60; step++) {
      const roll = next();
      let actions: ClientAction[];
      if (roll < 0.4) {
        actions = h.receive(pick(types), {
          xid: next() < 0.8 ? h.machine.xid ?? 0 : 7,
          server: pick([SERVER, OTHER_SERVER, undefined]),
          yiaddr: pick([ADDRESS, "192.0.2.11", "0.0.0.0"]),
          leaseTime: pick([60, 3600, 0, 0xffffffff]),
        });
      } else if (roll < 0.7) {
        if (h.machine.deadline !== undefined) {
          h.clock.time = Math.max(h.clock.time, h.machine.deadline);
        }
        actions = h.handle({ type: "timeout" });
      } else {
        const type = pick(
          [
            "start",
            "renew",
            "release",
            "link-down",
            "link-up",
            "stop",
          ] as const,
        );
        actions = h.handle({ type });
      }
      for (const action of actions) {
        if (action.type === "bind") {
          if (action.reason === "renew" || action.reason === "rebind") {
            assert.equal(action.previous?.address, configured);
          }
          configured = action.lease.address;
        } else if (action.type === "deconfigure") {
          assert.equal(action.lease.address, configured);
          configured = undefined;
        }
      }
      const deadline = h.machine.deadline;
      assert.ok(deadline === undefined || Number.isFinite(deadline));
      if (h.machine.state === "BOUND") assert.ok(h.machine.lease);
      assert.equal(h.machine.lease?.address, configured);
    }
  }
});

Deno.test("renewing an infinite lease on request retries every 60 s", () => {
  const h = new Harness();
  h.bind({ leaseTime: 0xffffffff });
  h.clock.time = 5000;
  onlySend(h.handle({ type: "renew" }));
  assert.equal(h.machine.state, "RENEWING");
  assert.equal(h.machine.deadline, 65_000);
  assert.deepEqual(onlySend(h.expire()).destination, { unicast: SERVER });
  assert.equal(h.machine.deadline, 125_000);
});

Deno.test("start after stop discovers when the lease left has expired", () => {
  const h = new Harness();
  h.bind();
  h.handle({ type: "stop" });
  h.clock.time = 3600_000;
  const actions = h.handle({ type: "start" });
  assert.equal(deconfigures(actions)[0]?.reason, "stop");
  const send = onlySend(actions);
  assert.equal(typeOf(send.message), MessageType.DISCOVER);
  assert.equal(requestedIpAddress(send.message.options), ADDRESS);
});
