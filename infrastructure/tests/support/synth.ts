import { type App, Testing } from "cdktf";
import { configFor, type Environment, type SluiceConfigOverrides } from "../../src/config";
import { SluiceStack } from "../../src/stack";

/** A synthesised stack's Terraform JSON, by resource type then logical id. */
export interface SynthesizedStack {
  json: string;
  resources: Record<string, Record<string, Record<string, unknown>>>;
  stack: SluiceStack;
}

/** Synthesises one environment's stack in a throwaway app. */
export function synthStack(environment: Environment, overrides: SluiceConfigOverrides): SynthesizedStack {
  const app: App = Testing.app();
  const stack = new SluiceStack(app, environment, configFor(environment, overrides));
  const json = Testing.synth(stack);
  return { json, resources: JSON.parse(json).resource, stack };
}

/** The resources of one type, as a list of their configurations. */
export function resourcesOf(synth: SynthesizedStack, type: string): Record<string, unknown>[] {
  return Object.values(synth.resources[type] ?? {});
}

/** The single resource of `type` whose `key` equals `value`. */
export function resourceWhere(
  synth: SynthesizedStack,
  type: string,
  key: string,
  value: unknown,
): Record<string, unknown> {
  const found = resourcesOf(synth, type).filter((resource) => resource[key] === value);
  if (found.length !== 1)
    throw new Error(`expected one ${type} with ${key}=${String(value)}, found ${found.length}`);
  return found[0]!;
}
