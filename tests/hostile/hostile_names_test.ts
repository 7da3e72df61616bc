/**
 * Hostile names end to end: the hostile responder sends a domain name
 * (option 15), a search list (option 119) and a host name (option 12) made
 * to break out of resolv.conf or a careless hook script, and the real
 * `ocidhcp` runs with its own resolv.conf and a hook that pastes the
 * variables into `sh -c`. Nothing hostile may reach either; the lease must
 * still be applied, a warning logged, and a valid name sent next to the
 * hostile ones still written.
 */

import assert from "node:assert/strict";
import {
  assertNoCrash,
  hostileLab,
  pool,
  startResponder,
} from "./_hostile_lab.ts";
import type { OptionValues } from "./_responder.ts";
import type { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "../cli/_wait.ts";

const TEST = { sanitizeResources: false, sanitizeOps: false } as const;
// A compiled executable may run only the hook path built into it.
const COMPILED = Deno.env.get("OCIDHCP_BIN") !== undefined;
const GOOD = "good.example";

/** A hostile name, and whether option 119's decoder refuses it outright. */
interface Hostile {
  what: string;
  name: string;
  // The option 119 decoder accepts only printable ASCII labels without
  // space; a name outside that makes the whole option malformed, so the
  // valid name next to it is lost with it.
  wholeListRefused: boolean;
}

function hostileNames(marker: string): Hostile[] {
  return [
    {
      what: "a newline and a nameserver directive",
      name: "evil.example\nnameserver 203.0.113.66",
      wholeListRefused: true,
    },
    {
      what: "a space",
      name: "evil example.com",
      wholeListRefused: true,
    },
    {
      what: "double quotes",
      name: '"evil".example',
      wholeListRefused: false,
    },
    {
      what: "a single quote",
      name: "it's.example",
      wholeListRefused: false,
    },
    {
      what: "a semicolon and a command",
      name: `evil;touch\${IFS}${marker};.example`,
      wholeListRefused: false,
    },
    {
      what: "a command substitution with a space",
      name: `$(touch ${marker})`,
      wholeListRefused: true,
    },
    {
      what: "a command substitution without a space",
      name: `$(touch\${IFS}${marker})`,
      wholeListRefused: false,
    },
    {
      what: "backticks",
      name: `\`touch\${IFS}${marker}\`.example`,
      wholeListRefused: false,
    },
    {
      what: "non-LDH ASCII",
      name: "ex_ample!.c*m",
      wholeListRefused: false,
    },
    {
      what: "non-ASCII UTF-8",
      name: "ünïcode-evil.example",
      wholeListRefused: true,
    },
  ];
}

const encoder = new TextEncoder();

/** Option 119 with raw labels, exactly the bytes given (RFC 1035). */
function rawSearchList(names: readonly string[]): number[] {
  const bytes: number[] = [];
  for (const name of names) {
    for (const label of name.split(".")) {
      const encoded = encoder.encode(label);
      assert.ok(encoded.length >= 1 && encoded.length <= 63, label);
      bytes.push(encoded.length, ...encoded);
    }
    bytes.push(0);
  }
  return bytes;
}

function text(value: string): number[] {
  return [...encoder.encode(value)];
}

/**
 * A hook that pastes the lease's names into a command line, as careless
 * scripts do: anything that reached its environment would run.
 */
async function carelessHook(dir: string, log: string): Promise<string> {
  const path = `${dir}/hook`;
  await Deno.writeTextFile(
    path,
    "#!/bin/sh\n" +
      `sh -c "echo $1 domain=$domain search=$search hostname=$hostname" ` +
      `>> ${log}\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

interface Outcome {
  resolvConf: string;
  hookLine: string;
  addresses: string[];
  output: string;
}

/** Runs the client against the responder until the hook has run once. */
async function runClient(
  lab: Lab,
  dir: string,
  options: OptionValues,
): Promise<Outcome> {
  const resolvConf = `${dir}/resolv.conf`;
  const log = `${dir}/hook.log`;
  await Deno.writeTextFile(resolvConf, "");
  await Deno.writeTextFile(log, "");
  const hook = await carelessHook(dir, log);
  const responder = await startResponder(lab, {
    address: pool(lab, 100),
    // A nameserver (option 6), so resolv.conf has something to write.
    options: { "6": [198, 18, 0, 53], ...options },
  });
  const client = lab.spawnClient([
    ...["--state-dir", "none", "--resolv-conf", resolvConf, "-s", hook],
    "eth0",
  ], { allowRun: [hook] });
  try {
    await client.waitFor(/ready: eth0 configured/, 15_000);
    await waitUntil(
      async () => /^bound /m.test(await Deno.readTextFile(log)),
      5_000,
      () => `the hook did not run:\n${client.output()}`,
    );
    assertNoCrash(client);
    return {
      resolvConf: await Deno.readTextFile(resolvConf),
      hookLine: (await Deno.readTextFile(log)).split("\n")[0]!,
      addresses: (await lab.addresses("eth0")).map((a) => a.address),
      output: client.output(),
    };
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nclient:\n${client.output()}`,
      { cause: error },
    );
  } finally {
    await client.stop();
    await responder.stop();
    await lab.run(["ip", "address", "flush", "dev", "eth0"]);
    await lab.run(["ip", "route", "flush", "dev", "eth0"]);
  }
}

// Every line the client may write: comments, nameservers, and a search
// list of valid names.
const SAFE_LINE =
  /^(#[ -~]*|nameserver \d+\.\d+\.\d+\.\d+|search [a-z0-9.-]+( [a-z0-9.-]+)*|)$/;

function assertSafeResolvConf(content: string): void {
  for (const line of content.split("\n")) {
    assert.match(line, SAFE_LINE, `unexpected line in resolv.conf`);
  }
  // Every hostile name above carries one of these.
  assert.doesNotMatch(content, /203\.0\.113\.66|evil|touch|it's|ex_ample/);
}

const WARNED =
  /\[WRN\].*eth0: (ignored malformed|not written to resolv\.conf|left \w+ out of the bound hook)/;

Deno.test({
  ...TEST,
  ignore: COMPILED,
  name: "the careless hook does run what reaches its environment",
  async fn() {
    // The control for the tests below: without the client's filtering,
    // this hook would create the marker.
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-" });
    try {
      const marker = `${dir}/marker`;
      const hook = await carelessHook(dir, `${dir}/log`);
      const result = await new Deno.Command(hook, {
        args: ["bound"],
        env: { domain: `$(touch ${marker})` },
      }).output();
      assert.equal(result.code, 0);
      await Deno.stat(marker);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  ...TEST,
  ignore: COMPILED,
  name: "hostile names in options 12, 15 and 119 reach neither resolv.conf " +
    "nor the hook, and a valid search domain beside them is written",
  async fn(t) {
    await using lab = await hostileLab();
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-" });
    try {
      const marker = `${dir}/marker`;
      for (const hostile of hostileNames(marker)) {
        await t.step(hostile.what, async () => {
          const outcome = await runClient(lab, dir, {
            "12": text(hostile.name),
            "15": text(hostile.name),
            "119": rawSearchList([hostile.name, GOOD]),
          });
          assert.deepEqual(outcome.addresses, [pool(lab, 100)]);
          assertSafeResolvConf(outcome.resolvConf);
          assert.match(outcome.resolvConf, /^nameserver /m);
          const search = outcome.resolvConf.split("\n").filter((line) =>
            line.startsWith("search")
          );
          if (hostile.wholeListRefused) {
            // Option 15 is hostile too, so no search list at all.
            assert.deepEqual(search, []);
            assert.equal(
              outcome.hookLine,
              "bound domain= search= hostname=",
            );
            assert.match(outcome.output, /ignored malformed domain search/);
          } else {
            assert.deepEqual(search, [`search ${GOOD}`]);
            assert.equal(
              outcome.hookLine,
              `bound domain= search=${GOOD} hostname=`,
            );
          }
          assert.match(outcome.output, WARNED);
          await assert.rejects(
            Deno.stat(marker),
            Deno.errors.NotFound,
            "an injected command ran",
          );
        });
      }

      await t.step(
        "a valid option 15 is the search list when 119 is refused",
        async () => {
          const outcome = await runClient(lab, dir, {
            "15": text("corp.example"),
            "119": rawSearchList([`$(touch ${marker})`, GOOD]),
          });
          assert.deepEqual(outcome.addresses, [pool(lab, 100)]);
          assertSafeResolvConf(outcome.resolvConf);
          assert.match(outcome.resolvConf, /^search corp\.example$/m);
          assert.equal(
            outcome.hookLine,
            "bound domain=corp.example search= hostname=",
          );
          assert.match(outcome.output, WARNED);
          await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
