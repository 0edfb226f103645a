import { ClustersPage } from "../../../src/ui/views/ClustersPage";

export default function Page() {
  return <ClustersPage />;
}
