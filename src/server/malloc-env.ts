/**
 * glibc malloc settings the server runs with: `npm start` (package.json), the engine Deployment
 * (gitops/engine/envcat.yaml) and the bench's engine process set them. By default glibc raises its
 * mmap threshold after large blocks are freed, so the Buffers of a burst (an engine starting on
 * 1,000 environments reads both repos and lists thousands of objects) end up in the heap arena
 * and stay resident after they are freed. Fixed thresholds hand that memory back: the engine
 * holding 1,000 environments settled at ~233 MiB with them and ~302 MiB without (npm run bench).
 * They must be in the environment when the process starts; other C libraries ignore them.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};
