// Clusters: list, get, create (preset defaults, TLS policy), update, delete.
import { z } from "zod";
import {
  createCluster,
  deleteCluster,
  getCluster,
  listClusters,
  updateCluster,
} from "../../services/clusters";
import { clusterView, keyTypeSchema, presetSchema, tlsVersionSchema } from "../../services/views";
import { operatorProcedure, router, viewerProcedure } from "../init";

const idInput = z.object({ id: z.uuid() });

// Strict objects: an unknown key is rejected rather than dropped, so a typo such as
// "stirct" gets a 400 naming it instead of a cluster created without strict mode.
const tlsInput = z.strictObject({
  keyType: keyTypeSchema.optional(),
  leafLifetimeDays: z.number().int().optional(),
  minTlsVersion: tlsVersionSchema.optional(),
});

const createInput = z.strictObject({
  name: z.string().max(200),
  preset: presetSchema,
  appPorts: z.array(z.number().int()).max(64).optional(),
  inboundPortBase: z.number().int().optional(),
  tls: tlsInput.optional(),
  strict: z.boolean().optional(),
});

const updateInput = z.strictObject({
  id: z.uuid(),
  name: z.string().max(200).optional(),
  appPorts: z.array(z.number().int()).max(64).optional(),
  inboundPortBase: z.number().int().optional(),
  tls: tlsInput.optional(),
  strict: z.boolean().optional(),
});

export const clustersRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/clusters", tags: ["clusters"], protect: true } })
    .input(z.object({}).optional())
    .output(z.array(clusterView))
    .query(({ ctx }) => listClusters(ctx.services.prisma)),

  get: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/clusters/{id}", tags: ["clusters"], protect: true } })
    .input(idInput)
    .output(clusterView)
    .query(({ ctx, input }) => getCluster(ctx.services.prisma, input.id)),

  create: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/clusters", tags: ["clusters"], protect: true } })
    .input(createInput)
    .output(clusterView)
    .mutation(({ ctx, input }) => createCluster(ctx.services, ctx.actor, input)),

  update: operatorProcedure
    .meta({ openapi: { method: "PATCH", path: "/clusters/{id}", tags: ["clusters"], protect: true } })
    .input(updateInput)
    .output(clusterView)
    .mutation(({ ctx, input }) => updateCluster(ctx.services, ctx.actor, input)),

  delete: operatorProcedure
    .meta({ openapi: { method: "DELETE", path: "/clusters/{id}", tags: ["clusters"], protect: true } })
    .input(idInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => deleteCluster(ctx.services, ctx.actor, input.id)),
});
