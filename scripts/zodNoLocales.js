// What the CLI bundle has for zod's `locales` (see scripts/build.ts): none; English comes with the schemas.
export {};
