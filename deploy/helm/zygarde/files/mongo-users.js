// Run once by the official mongo image on an empty volume (docker-entrypoint-initdb.d), as the root user:
// one user per service that uses the store, each with only the privileges its code needs
// (docs/security.md "MongoDB-wire"); the passwords come from /run/secrets (compose: mongo-secrets.sh; Helm: the chart).
const fs = require("fs");
const zygarde = db.getSiblingDB("zygarde");

function password(service) {
  return fs.readFileSync(`/run/secrets/mongo-${service}-password`, "utf8").trim();
}

function collections(names, actions) {
  return names.map((collection) => ({ resource: { db: "zygarde", collection }, actions }));
}

const WRITE = ["find", "insert", "update", "remove", "createIndex"];

// the trainer: reads a trial's verdict and stop reason; records which partitions it owns
zygarde.createRole({
  role: "zygarde-trainer",
  privileges: [...collections(["trials"], ["find"]), ...collections(["workers"], WRITE)],
  roles: [],
});
// the scaler: counts searching jobs and running trials
zygarde.createRole({
  role: "zygarde-scaler",
  privileges: collections(["jobs", "trials"], ["find"]),
  roles: [],
});

const USERS = {
  // owns jobs, trials and the registry, and serves every read of the admin API
  planner: [{ role: "readWrite", db: "zygarde" }],
  // owns results and models, the registry's winners and reports, updates jobs
  selector: [{ role: "readWrite", db: "zygarde" }],
  trainer: [{ role: "zygarde-trainer", db: "zygarde" }],
  scaler: [{ role: "zygarde-scaler", db: "zygarde" }],
};

for (const [service, roles] of Object.entries(USERS)) {
  zygarde.createUser({ user: `zygarde-${service}`, pwd: password(service), roles });
}
