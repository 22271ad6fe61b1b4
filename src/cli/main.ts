// selfimprove's command line. Each subcommand lives in src/cli/commands/ and registers itself
// here; errors meant for users are CliErrors (message + exit code), an unusable path is a
// "cannot write" error, anything else is a bug reported in one line (fatal.ts).
import { Command } from "commander";
import { exitWithFailure, installFatalHandlers } from "./fatal.js";
import { registerVerify } from "./commands/verify.js";
import { registerPretrain } from "./commands/pretrain.js";
import { registerEval } from "./commands/eval.js";
import { registerRun } from "./commands/run.js";
import { registerStudy } from "./commands/study.js";
import { registerBench } from "./commands/bench.js";
import { registerViz } from "./commands/viz.js";
import { registerReport } from "./commands/report.js";
import { registerExperiments } from "./commands/experiments.js";
import { registerInit } from "./commands/init.js";

const program = new Command()
  .name("selfimprove")
  .description("Language-model self-improvement by reinforcement learning (RLC, R3) in TypeScript")
  .version("0.1.0")
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerVerify(program);
registerPretrain(program);
registerEval(program);
registerRun(program);
registerStudy(program);
registerBench(program);
registerViz(program);
registerReport(program);
registerExperiments(program);
registerInit(program);

// Before any command can load the wasm backend, whose emscripten hooks would otherwise turn a
// failure into a page of minified source.
installFatalHandlers();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  exitWithFailure(err);
}
