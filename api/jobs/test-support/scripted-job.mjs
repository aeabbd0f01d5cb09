// A stand-in job process for manager tests: speaks the job line protocol like `vitrine job-run`,
// with behaviour from its arguments: `scripted-job.mjs <jobDir> <stage> <steps> <ms per step> [exit code]`.
// It exits when its stdin closes, like the real one.
const [, , jobDir, stage, steps, msPerStep, exitCode] = process.argv;
const send = (e) => process.stdout.write(`::vitrine-event ${JSON.stringify(e)}\n`);
process.stdin.on("end", () => process.exit(137));
process.stdin.resume();
console.error(`job dir ${jobDir}`);
send({ t: "stage", stage, state: "running" });
const total = Number(steps);
for (let i = 1; i <= total; i++) {
  await new Promise((r) => setTimeout(r, Number(msPerStep)));
  send({ t: "progress", progress: { stage, done: i, total, unit: "steps", rate: null, detail: {} } });
  console.log(`step ${i}`);
}
const code = Number(exitCode ?? 0);
if (code === 0) send({ t: "stage", stage, state: "succeeded", metrics: { steps: total } });
else console.error(`${stage} failed: scripted failure`);
process.exit(code);
