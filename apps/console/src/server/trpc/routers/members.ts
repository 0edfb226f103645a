// Cluster members: add an existing host (hostId) or a new one (hostName), remove.
import { z } from "zod";
import { addMember, removeMember } from "../../services/members";
import { memberView } from "../../services/views";
import { operatorProcedure, router } from "../init";

const addInput = z
  .object({
    clusterId: z.uuid(),
    /** An existing host. */
    hostId: z.uuid().optional(),
    /** A new host to create with this name. */
    hostName: z.string().max(200).optional(),
    address: z.string().max(100),
  })
  .refine((input) => (input.hostId === undefined) !== (input.hostName === undefined), {
    message: "give either hostId (an existing host) or hostName (a new host), not both",
    path: ["hostId"],
  });

const removeInput = z.object({ clusterId: z.uuid(), hostId: z.uuid() });

export const membersRouter = router({
  add: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/clusters/{clusterId}/members", tags: ["members"], protect: true },
    })
    .input(addInput)
    .output(memberView)
    .mutation(({ ctx, input }) =>
      addMember(
        ctx.services,
        ctx.actor,
        input.hostId !== undefined
          ? { clusterId: input.clusterId, address: input.address, hostId: input.hostId }
          : { clusterId: input.clusterId, address: input.address, hostName: input.hostName ?? "" },
      ),
    ),

  remove: operatorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/clusters/{clusterId}/members/{hostId}",
        tags: ["members"],
        protect: true,
      },
    })
    .input(removeInput)
    .output(z.object({ clusterId: z.string(), hostId: z.string() }))
    .mutation(({ ctx, input }) => removeMember(ctx.services, ctx.actor, input)),
});
