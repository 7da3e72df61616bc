import assert from "node:assert/strict";
import { HELP, parseCli, USAGE, UsageError } from "../../cli/args.ts";

Deno.test("parseCli() reads interfaces and defaults", () => {
  const options = parseCli(["eth0", "eth1"]);
  assert.deepEqual(options.interfaces, ["eth0", "eth1"]);
  assert.equal(options.oneShot, false);
  assert.equal(options.timeout, 30);
  assert.equal(options.release, false);
  assert.equal(options.foreign, "compete");
  assert.equal(options.logLevel, "info");
  assert.equal(options.logFormat, "text");
  assert.equal(options.dryRun, false);
  assert.deepEqual(options.noDefaultRoute, []);
  assert.deepEqual(options.requestOptions, []);
  assert.equal(options.tries, 0);
  assert.equal(options.retransmitMax, 64);
});

Deno.test("parseCli() accepts no interface, meaning all", () => {
  assert.deepEqual(parseCli([]).interfaces, []);
});

Deno.test("parseCli() reads every option", () => {
  const options = parseCli([
    "-q",
    "-t",
    "12.5",
    "-R",
    "-H",
    "web-1",
    "-F",
    "web-1.example.org",
    "-c",
    "01:02:03",
    "-V",
    "ocidhcp",
    "-O",
    "42",
    "-O",
    "252",
    "--no-default-route",
    "eth1",
    "--foreign-default-route",
    "respect",
    "--events",
    "--ready-file",
    "/run/ready",
    "--dry-run",
    "--runtime-dir",
    "/tmp/x",
    "--log-level",
    "debug",
    "--log-format",
    "json",
    "--tries",
    "3",
    "--retransmit-max",
    "8",
    "eth0",
  ]);
  assert.equal(options.oneShot, true);
  assert.equal(options.timeout, 12.5);
  assert.equal(options.release, true);
  assert.equal(options.hostName, "web-1");
  assert.equal(options.fqdn, "web-1.example.org");
  assert.deepEqual(options.clientId, new Uint8Array([1, 2, 3]));
  assert.equal(options.vendorClass, "ocidhcp");
  assert.deepEqual(options.requestOptions, [42, 252]);
  assert.deepEqual(options.noDefaultRoute, ["eth1"]);
  assert.equal(options.foreign, "respect");
  assert.equal(options.events, true);
  assert.equal(options.readyFile, "/run/ready");
  assert.equal(options.dryRun, true);
  assert.equal(options.runtimeDir, "/tmp/x");
  assert.equal(options.logLevel, "debug");
  assert.equal(options.logFormat, "json");
  assert.equal(options.tries, 3);
  assert.equal(options.retransmitMax, 8);
});

Deno.test("parseCli() names the problem of each bad argument", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [["--bogus", "eth0"], /bogus/],
    [["--timeout", "soon", "eth0"], /--timeout must be a positive number/],
    [["--timeout", "0", "eth0"], /--timeout must be a positive number/],
    [["--log-level", "loud", "eth0"], /--log-level must be one of/],
    [["--log-format", "xml", "eth0"], /--log-format must be one of/],
    [["--foreign-default-route", "x", "eth0"], /must be one of compete/],
    [["eth0", "eth0"], /named twice/],
    [["a/b"], /IFACE must be an interface name/],
    [["sixteen-chars-xx"], /IFACE must be an interface name/],
    [["-O", "255", "eth0"], /--request-option must be an option code/],
    [["-O", "x", "eth0"], /--request-option must be an option code/],
    [["-c", "zz", "eth0"], /--client-id must be hex bytes/],
    [["-c", "01", "eth0"], /at least 2 bytes/],
    [["-H", "bad name", "eth0"], /--hostname must be a host name/],
    [["-H", "a;reboot", "eth0"], /--hostname must be a host name/],
    [["-F", "x\ny", "eth0"], /--fqdn must be a domain name/],
    [["--timeout"], /timeout/],
    [["--tries=-1", "eth0"], /--tries must be a whole number/],
    [["--tries", "2.5", "eth0"], /--tries must be a whole number/],
    [["--retransmit-max", "1", "eth0"], /--retransmit-max must be a whole/],
    [["--retransmit-max", "2.5", "eth0"], /--retransmit-max must be a whole/],
    [["--retransmit-max", "x", "eth0"], /--retransmit-max must be a positive/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parseCli(args), (error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, pattern);
        return true;
      });
    });
  }
});

Deno.test("the help text starts with the usage line and lists each option", () => {
  assert.ok(HELP.startsWith(USAGE));
  for (
    const flag of [
      "--one-shot",
      "--timeout",
      "--tries",
      "--retransmit-max",
      "--release",
      "--hostname",
      "--fqdn",
      "--client-id",
      "--vendor-class",
      "--request-option",
      "--no-default-route",
      "--foreign-default-route",
      "--events",
      "--ready-file",
      "--dry-run",
      "--runtime-dir",
      "--log-level",
      "--log-format",
      "--help",
      "--version",
    ]
  ) {
    assert.match(HELP, new RegExp(flag));
  }
  for (const line of HELP.split("\n")) {
    assert.ok(line.length <= 80, `help line over 80 columns: ${line}`);
  }
});
