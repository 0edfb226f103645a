import { Suspense } from "react";
import { LoginPage } from "../../../src/ui/views/AuthPages";

export default function Page() {
  // useSearchParams needs a Suspense boundary.
  return (
    <Suspense>
      <LoginPage />
    </Suspense>
  );
}
