import type { ProviderConfig, ProviderKind } from '../config/types.js';
import { mockProvider } from './mock/index.js';
import { ollamaProvider } from './ollama/index.js';
import { openaiCompatibleProvider } from './openai-compatible/index.js';
import { openaiProvider } from './openai/index.js';
import type { Provider, ProviderDefinition, ProviderDependencies } from './types.js';

type DefinitionFor<K extends ProviderKind> = ProviderDefinition<Extract<ProviderConfig, { kind: K }>>;

/** The one place that knows every provider kind. */
const definitions: { readonly [K in ProviderKind]: DefinitionFor<K> } = {
  openai: openaiProvider,
  'openai-compatible': openaiCompatibleProvider,
  ollama: ollamaProvider,
  mock: mockProvider,
};

export function createProvider(config: ProviderConfig, deps: ProviderDependencies): Promise<Provider> {
  const definition = definitions[config.kind] as ProviderDefinition;
  return definition.create(config, deps);
}

/** Creates every configured provider; on failure, closes the ones already started. */
export async function createProviders(configs: readonly ProviderConfig[], deps: ProviderDependencies): Promise<Map<string, Provider>> {
  const providers = new Map<string, Provider>();
  try {
    for (const config of configs) providers.set(config.name, await createProvider(config, deps));
  } catch (error) {
    await Promise.allSettled([...providers.values()].map((p) => p.close()));
    throw error;
  }
  return providers;
}
