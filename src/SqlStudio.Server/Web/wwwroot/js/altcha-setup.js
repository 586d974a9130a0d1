// The ALTCHA widget's strict-CSP build loads its proof-of-work worker from our own origin.
globalThis.$altcha?.algorithms.set("SHA-256", () => new Worker("/lib/altcha/workers/sha.js"));
