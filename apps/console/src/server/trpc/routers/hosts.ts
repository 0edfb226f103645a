// Hosts: list, get with desired and observed state, delete.
import { z } from "zod";
import { deleteHost, getHost, listHosts } from "../../services/hosts";
import { hostView } from "../../services/views";
import { operatorProcedure, router, viewerProcedure } from "../init";

const listInput = z.object({ clusterId: z.uuid().optional() }).optional();
const idInput = z.object({ id: z.uuid() });

export const hostsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/hosts", tags: ["hosts"], protect: true } })
    .input(listInput)
    .output(z.array(hostView))
    .query(({ ctx, input }) => listHosts(ctx.services.prisma, { clusterId: input?.clusterId })),

  get: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/hosts/{id}", tags: ["hosts"], protect: true } })
    .input(idInput)
    .output(hostView)
    .query(({ ctx, input }) => getHost(ctx.services.prisma, input.id)),

  delete: operatorProcedure
    .meta({ openapi: { method: "DELETE", path: "/hosts/{id}", tags: ["hosts"], protect: true } })
    .input(idInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => deleteHost(ctx.services, ctx.actor, input.id)),
});
