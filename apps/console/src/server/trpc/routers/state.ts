// Desired against observed state, per host.
import { z } from "zod";
import { listHostStates } from "../../services/hosts";
import { hostStateView } from "../../services/views";
import { router, viewerProcedure } from "../init";

const listInput = z.object({ hostId: z.uuid().optional() }).optional();

export const stateRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/state", tags: ["hosts"], protect: true } })
    .input(listInput)
    .output(z.array(hostStateView))
    .query(({ ctx, input }) => listHostStates(ctx.services.prisma, input ?? {})),
});
