import { ClusterPage } from "../../../../src/ui/views/ClusterPage";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ClusterPage id={id} />;
}
