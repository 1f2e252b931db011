/**
 * `npm run bench`: runs every benchmark and prints its figures. Benchmarks never pass or fail on time;
 * each prints ratios against a baseline measured in the same run where one exists.
 */
import { runActivationBench } from './activation.bench';
import { runClientCostBench } from './clientCost.bench';
import { runEngineBench } from './engine.bench';
import { runEngineKernelsBench } from './engineKernels.bench';
import { runEngineVsComfyBench } from './engineVsComfy.bench';
import { runJobsTreeBench } from './jobsTree.bench';
import { runLoadImageStallBench } from './loadImageStall.bench';
import { runMakespanBench } from './makespan.bench';
import { runProgressStatesBench } from './progressStates.bench';
import { runRunsPanelBench } from './runsPanel.bench';
import { runSchedulerBench } from './scheduler.bench';
import { runSocketFramesBench } from './socketFrames.bench';
import { runSplitBranchesBench } from './splitBranches.bench';

async function main(): Promise<void> {
  const only = process.argv[2];
  const benches: Record<string, () => Promise<void>> = {
    engine: runEngineBench,
    engineVsComfy: runEngineVsComfyBench,
    engineKernels: runEngineKernelsBench,
    scheduler: runSchedulerBench,
    makespan: runMakespanBench,
    clientCost: runClientCostBench,
    activation: runActivationBench,
    jobsTree: runJobsTreeBench,
    progressStates: runProgressStatesBench,
    runsPanel: runRunsPanelBench,
    socketFrames: runSocketFramesBench,
    splitBranches: runSplitBranchesBench,
    loadImageStall: runLoadImageStallBench,
  };
  for (const [name, bench] of Object.entries(benches)) {
    if (only && only !== name) continue;
    console.log(`\n== ${name} ==`);
    await bench();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
