import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
export default mergeConfig(base, defineConfig({ test: { deps: { optimizer: { ssr: { enabled: true, include: ['winston', 'undici', 'ioredis', 'prom-client', 'yaml', 'fast-xml-parser', 'commander', 'ipaddr.js', 'zod'] } } } } }));
