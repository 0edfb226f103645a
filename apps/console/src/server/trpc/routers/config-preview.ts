// The rendered stunnel.conf and iptables-restore text a host would run now.
import { z } from "zod";
import { previewHostConfig } from "../../services/config-preview";
import { configPreviewView } from "../../services/views";
import { router, viewerProcedure } from "../init";

const hostInput = z.object({ hostId: z.uuid() });

export const configPreviewRouter = router({
  get: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/hosts/{hostId}/config", tags: ["hosts"], protect: true } })
    .input(hostInput)
    .output(configPreviewView)
    .query(({ ctx, input }) => previewHostConfig(ctx.services.prisma, input.hostId)),
});
