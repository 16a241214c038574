/**
 * config.json -> ModelSpec: the architecture is looked up in the registry (arch/index.ts), whose
 * module reads the fields with HF transformers' defaults for those a config leaves out. The sizes that decide every weight shape are required:
 * a config.json without them is more likely the wrong file than one meant to take the defaults.
 * Options that change the computation in ways the engine does not implement are rejected by name.
 */
import { ARCHITECTURES, ARCHITECTURES_BY_MODEL_TYPE } from './arch';
import { ConfigFields, describe, type Json } from './arch/config-fields';
import type { ModelSpec } from './spec';

export function parseModelConfig(json: unknown, source = 'config.json'): ModelSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source} is not a JSON object (it is ${describe(json)}); pick the model's config.json`);
  }
  const hfArchitecture = readArchitecture(json as Json, source);
  return ARCHITECTURES[hfArchitecture].parseConfig(new ConfigFields(json as Json, source, hfArchitecture));
}

function readArchitecture(json: Json, source: string): string {
  const list = json.architectures;
  let name: unknown;
  if (list === undefined || list === null) {
    name = ARCHITECTURES_BY_MODEL_TYPE[String(json.model_type)]?.hfArchitecture;
    if (name === undefined) {
      throw new Error(
        `${source} has no architectures list and model_type ${describe(json.model_type)}; expected e.g. "architectures": ["LlamaForCausalLM"]. Pick the config.json of a supported model (${supportedList()}).`,
      );
    }
  } else if (!Array.isArray(list) || typeof list[0] !== 'string') {
    throw new Error(`${source}: architectures is ${describe(list)}; expected a list of class names such as ["LlamaForCausalLM"]. Check the file or download it again.`);
  } else {
    name = list[0];
  }
  if (typeof name !== 'string' || !Object.hasOwn(ARCHITECTURES, name)) {
    throw new Error(`${source}: architecture ${String(name)} is not supported; supported: ${supportedList()}. Pick a model of one of these architectures.`);
  }
  return name;
}

function supportedList(): string {
  return Object.keys(ARCHITECTURES).join(', ');
}
