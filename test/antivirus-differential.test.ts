// Differential tests against the real clamscan (issue 8 "Must show"):
// generated corpora with every wildcard, gap and offset form, decoys, hash
// signatures and APK-like ZIPs. The set of (file, signature) detections must
// equal clamscan's exactly (with --allmatch), and so must the one signature
// each infected file reports without it. clamscan runs once per corpus and mode.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { SeededRng } from "../src/core/rng.ts";
import { loadDatabases, scanPaths } from "../src/live/antivirus/index.ts";
import { writeCorpus } from "./antivirus-corpus.ts";
import { toolOrSkip } from "./support/system-tool.ts";

const clamscan = toolOrSkip("clamscan");

function clamscanDetections(root: string, databases: string[], allMatch: boolean): string[] {
  const args = [
    "--no-summary",
    "-r",
    "-i",
    ...(allMatch ? ["-z"] : []),
    ...databases.flatMap((d) => ["-d", d]),
    join(root, "files"),
  ];
  const run = spawnSync(clamscan.path!, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.ok(run.status === 0 || run.status === 1, `clamscan failed (${run.status}): ${run.stderr}`);
  const lines = run.stdout.split("\n").filter((l) => l.endsWith(" FOUND"));
  const set = new Set(
    lines.map(
      (l) =>
        `${relative(root, l.slice(0, l.lastIndexOf(": ")))} ${l.slice(l.lastIndexOf(": ") + 2, -" FOUND".length).replace(/\.UNOFFICIAL$/, "")}`,
    ),
  );
  return [...set].sort();
}

async function ourDetections(
  root: string,
  databases: string[],
  allMatch: boolean,
  workers: number,
): Promise<string[]> {
  const db = loadDatabases(databases, { cacheDir: false });
  assert.deepEqual(db.skipped, [], "the generated databases use supported features only");
  const report = await scanPaths(db, [join(root, "files")], { allMatch, workers });
  assert.ok(report.verdicts.every((v) => v.error === undefined));
  const set = new Set(
    report.verdicts.flatMap((v) => v.detections.map((d) => `${relative(root, v.path)} ${d.name}`)),
  );
  return [...set].sort();
}

function showDiff(ours: string[], theirs: string[]): string {
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  return `only ours: ${JSON.stringify(only(ours, theirs))}\nonly clamscan: ${JSON.stringify(only(theirs, ours))}`;
}

const corpora = [
  { seed: 1, what: "small files and APKs", shape: { signatures: 160, files: 260, apks: 40 } },
  { seed: 2, what: "small files and APKs", shape: { signatures: 160, files: 260, apks: 40 } },
  { seed: 3, what: "small files and APKs, worker pool", shape: { signatures: 160, files: 260, apks: 40 } },
  {
    seed: 4,
    what: "large files with several matches",
    shape: { signatures: 60, files: 20, apks: 4, large: 16 },
  },
];

for (const { seed, what, shape } of corpora) {
  test(`antivirus: differential: detections equal clamscan's exactly, ${what} (seed=${seed})`, {
    skip: clamscan.skip,
  }, async () => {
    const root = mkdtempSync(join(tmpdir(), "mc-av-diff-"));
    try {
      const corpus = writeCorpus(new SeededRng(seed), root, shape);
      for (const allMatch of [true, false]) {
        const theirs = clamscanDetections(root, corpus.databases, allMatch);
        const ours = await ourDetections(root, corpus.databases, allMatch, seed === 3 ? 2 : 0);
        assert.ok(theirs.length >= 20, `the corpus plants enough detections (${theirs.length})`);
        assert.deepEqual(ours, theirs, `seed=${seed} allMatch=${allMatch}\n${showDiff(ours, theirs)}`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
