import { z } from 'zod';
import { flag } from './fields.js';

/** `reload`: when the bridge re-reads its config besides SIGHUP. */
export const reloadSchema = z
  .strictObject({
    /** Re-read the config file (and so the users file) when it changes on disk. */
    watch: flag.default(false),
  })
  .prefault({});
