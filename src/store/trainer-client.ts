/** The page's one trainer worker, shared by every store that talks to it. */
import { TrainerClient } from '../train/client';

let client: TrainerClient | null = null;

export function trainerClient(): TrainerClient {
  client ??= TrainerClient.start();
  return client;
}
