import { backendInfo, describeBackend } from "@gan/backend";
import { selectBackend, type BackendName } from "@gan/backend/node";
import { packageVersions } from "@gan/trainer/node";
import type { CommandIO } from "./train";

/** `gan info`: the backend `--backend` resolves to, why, and the versions of the packages in use. */
export async function infoCommand(options: { backend: BackendName; threads?: number | "auto" }, io: CommandIO): Promise<void> {
  await selectBackend(options.backend, { log: io.log, ...(options.threads ? { threads: options.threads } : {}) });
  io.log(describeBackend(backendInfo()));
  // packageVersions() lists Node's version too, once.
  for (const [name, version] of Object.entries(packageVersions())) io.log(`${name} ${version}`);
}
