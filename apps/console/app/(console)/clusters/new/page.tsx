import { NewClusterPage } from "../../../../src/ui/views/ClusterForm";

export default function Page() {
  return <NewClusterPage />;
}
