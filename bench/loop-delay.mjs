// Preloaded into the product server by the benchmark (`node --import ./bench/loop-delay.mjs
// bin/gatehouse.js serve`): the event loop's delay histogram, printed on SIGUSR2 as one
// `BENCH_LOOP_DELAY {…}` line on stdout (milliseconds), then reset. Plain JS: it must load
// in the compiled server as well.
import { monitorEventLoopDelay } from 'node:perf_hooks'

const histogram = monitorEventLoopDelay({ resolution: 5 })
histogram.enable()
const ms = (ns) => Math.round(ns / 1e4) / 100
process.on('SIGUSR2', () => {
  const summary = {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    mean: ms(histogram.mean),
  }
  histogram.reset()
  process.stdout.write(`BENCH_LOOP_DELAY ${JSON.stringify(summary)}\n`)
})
