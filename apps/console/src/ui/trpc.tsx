"use client";
// tRPC and react-query plumbing of the console: one QueryClient per browser tab, the
// typed options proxy (`useTRPC`), and the link that adds the CSRF header to mutations.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import superjson from "superjson";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../server/trpc/csrf";
import type { AppRouter } from "../server/trpc/router";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        // Authentication and permission errors will not change by retrying.
        retry: (failureCount, error) => {
          if (error instanceof TRPCClientError) {
            const code = error.data?.code;
            if (
              code === "UNAUTHORIZED" ||
              code === "FORBIDDEN" ||
              code === "NOT_FOUND" ||
              code === "BAD_REQUEST"
            )
              return false;
          }
          return failureCount < 2;
        },
      },
    },
  });
}

export function ApiProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: "/api/trpc",
          transformer: superjson,
          headers: () => ({ [CSRF_HEADER]: CSRF_HEADER_VALUE }),
        }),
      ],
    }),
  );

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
