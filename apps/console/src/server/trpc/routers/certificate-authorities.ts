// Certificate authorities: list, generate for a cluster (rotating the old one to
// retiring), import with checks, and finish a rotation.
import { z } from "zod";
import {
  finishRotation,
  generateClusterAuthority,
  importClusterAuthority,
  listAuthorities,
} from "../../services/authorities";
import { authorityView } from "../../services/views";
import { operatorProcedure, router, viewerProcedure } from "../init";

const listInput = z
  .object({
    clusterId: z.uuid().optional(),
    purpose: z.enum(["cluster", "gateway"]).optional(),
    state: z.enum(["active", "retiring", "retired"]).optional(),
  })
  .optional();

const clusterInput = z.object({ clusterId: z.uuid() });

const importInput = z.object({
  clusterId: z.uuid(),
  certPem: z.string().max(64 * 1024),
  keyPem: z.string().max(64 * 1024),
});

const finishInput = z.object({
  clusterId: z.uuid(),
  /** Retire even when leaves signed by the retiring CA are still active. */
  force: z.boolean().optional(),
});

export const certificateAuthoritiesRouter = router({
  list: viewerProcedure
    .meta({
      openapi: { method: "GET", path: "/certificate-authorities", tags: ["certificates"], protect: true },
    })
    .input(listInput)
    .output(z.array(authorityView))
    .query(({ ctx, input }) => listAuthorities(ctx.services.prisma, input ?? {})),

  /** Generates a new CA for the cluster: it becomes active and the previous one retiring. */
  rotate: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/clusters/{clusterId}/certificate-authorities",
        tags: ["certificates"],
        protect: true,
      },
    })
    .input(clusterInput)
    .output(authorityView)
    .mutation(({ ctx, input }) => generateClusterAuthority(ctx.services, ctx.actor, input.clusterId)),

  import: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/clusters/{clusterId}/certificate-authorities/import",
        tags: ["certificates"],
        protect: true,
      },
    })
    .input(importInput)
    .output(authorityView)
    .mutation(({ ctx, input }) => importClusterAuthority(ctx.services, ctx.actor, input)),

  finishRotation: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/clusters/{clusterId}/certificate-authorities/finish-rotation",
        tags: ["certificates"],
        protect: true,
      },
    })
    .input(finishInput)
    .output(z.object({ retired: z.array(z.string()), pending: z.array(z.string()) }))
    .mutation(({ ctx, input }) => finishRotation(ctx.services, ctx.actor, input)),
});
