export { spawnBackend, type BackendProcess, type BackendProcessOptions } from './backend.process';
export { FaultProxy, type FaultMode } from './fault.proxy';
export { freePort } from './ports.util';
export {
  histogramPercentile,
  median,
  mergeHistogram,
  percentile,
  prng,
  type MsHistogram,
} from './stats.util';
export { sleep, waitFor } from './wait.util';
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster';
