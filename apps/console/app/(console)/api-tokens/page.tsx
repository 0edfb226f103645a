import { ApiTokensPage } from "../../../src/ui/views/ApiTokensPage";

export default function Page() {
  return <ApiTokensPage />;
}
