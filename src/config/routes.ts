/** Route strings: `provider/model`, split at the first '/'. */

export interface RouteTarget {
  readonly provider: string;
  readonly model: string;
}

/**
 * `vllm/openai/gpt-oss-20b` → provider `vllm`, model `openai/gpt-oss-20b`:
 * provider names never contain '/', upstream model names may.
 */
export function splitRoute(route: string): RouteTarget | undefined {
  const slash = route.indexOf('/');
  if (slash <= 0 || slash === route.length - 1) return undefined;
  return { provider: route.slice(0, slash), model: route.slice(slash + 1) };
}
