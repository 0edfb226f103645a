"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
// Create and edit form of a cluster. Choosing a preset fills in its ports and inbound
// port base; the TLS policy and strict mode are set here too.
import { defaultInboundPortBase, defaultTlsPolicy, PRESET_PORTS } from "@tunnelfleet/mesh";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Field } from "../components/Field";
import { ErrorBox, QueryState } from "../components/feedback";
import { useT } from "../i18n";
import { fieldMessage } from "../lib/errors";
import {
  KEY_TYPES,
  type KeyTypeOption,
  PRESETS,
  type Preset,
  parsePorts,
  TLS_VERSIONS,
  type TlsVersionOption,
} from "../lib/options";
import { useCan } from "../session";
import { useTRPC } from "../trpc";

interface FormValues {
  name: string;
  preset: Preset;
  ports: string;
  inboundPortBase: string;
  keyType: KeyTypeOption;
  leafLifetimeDays: string;
  minTlsVersion: TlsVersionOption;
  strict: boolean;
}

const NEW_CLUSTER: FormValues = {
  name: "",
  preset: "hazelcast",
  ports: PRESET_PORTS.hazelcast.join(", "),
  inboundPortBase: String(defaultInboundPortBase("hazelcast")),
  keyType: defaultTlsPolicy.keyType,
  leafLifetimeDays: String(defaultTlsPolicy.leafLifetimeDays),
  minTlsVersion: defaultTlsPolicy.minTlsVersion,
  strict: false,
};

/** Field paths that the form shows next to their inputs. */
const CLUSTER_FIELDS = [
  "name",
  "preset",
  "appPorts",
  "inboundPortBase",
  "tls.keyType",
  "tls.leafLifetimeDays",
  "tls.minTlsVersion",
];

function ClusterFields({
  values,
  setValues,
  editing,
  error,
  portsInvalid,
}: {
  values: FormValues;
  setValues: (values: FormValues) => void;
  editing: boolean;
  error: unknown;
  portsInvalid: boolean;
}) {
  const t = useT();
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) =>
    setValues({ ...values, [key]: value });

  function choosePreset(preset: Preset) {
    setValues({
      ...values,
      preset,
      ports: PRESET_PORTS[preset].join(", "),
      inboundPortBase: String(defaultInboundPortBase(preset)),
    });
  }

  return (
    <>
      <div className="form-grid">
        <Field label={t("common.name")} error={fieldMessage(error, "name", t("common.name"))}>
          <input
            name="name"
            value={values.name}
            onChange={(event) => set("name", event.target.value)}
            required
          />
        </Field>
        <Field label={t("clusters.preset")} error={fieldMessage(error, "preset", t("clusters.preset"))}>
          <select
            name="preset"
            value={values.preset}
            disabled={editing}
            onChange={(event) => choosePreset(event.target.value as Preset)}
          >
            {PRESETS.map((preset) => (
              <option key={preset} value={preset}>
                {preset}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={t("clusters.ports")}
          help={t("clusters.portsHelp")}
          error={
            portsInvalid ? t("clusters.portsHelp") : fieldMessage(error, "appPorts", t("clusters.ports"))
          }
        >
          <input name="ports" value={values.ports} onChange={(event) => set("ports", event.target.value)} />
        </Field>
        <Field
          label={t("clusters.inboundPortBase")}
          help={t("clusters.inboundPortBaseHelp")}
          error={fieldMessage(error, "inboundPortBase", t("clusters.inboundPortBase"))}
        >
          <input
            name="inboundPortBase"
            type="number"
            min={1}
            max={65535}
            value={values.inboundPortBase}
            onChange={(event) => set("inboundPortBase", event.target.value)}
          />
        </Field>
      </div>
      <h3>{t("clusters.tlsPolicy")}</h3>
      <div className="form-grid">
        <Field
          label={t("clusters.keyType")}
          error={fieldMessage(error, "tls.keyType", t("clusters.keyType"))}
        >
          <select
            name="keyType"
            value={values.keyType}
            onChange={(event) => set("keyType", event.target.value as KeyTypeOption)}
          >
            {KEY_TYPES.map((keyType) => (
              <option key={keyType} value={keyType}>
                {keyType}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={t("clusters.lifetime")}
          error={fieldMessage(error, "tls.leafLifetimeDays", t("clusters.lifetime"))}
        >
          <input
            name="leafLifetimeDays"
            type="number"
            min={1}
            value={values.leafLifetimeDays}
            onChange={(event) => set("leafLifetimeDays", event.target.value)}
          />
        </Field>
        <Field
          label={t("clusters.minTls")}
          error={fieldMessage(error, "tls.minTlsVersion", t("clusters.minTls"))}
        >
          <select
            name="minTlsVersion"
            value={values.minTlsVersion}
            onChange={(event) => set("minTlsVersion", event.target.value as TlsVersionOption)}
          >
            {TLS_VERSIONS.map((version) => (
              <option key={version} value={version}>
                {version}
              </option>
            ))}
          </select>
        </Field>
        <div className="field checkbox-field">
          <label className="field inline">
            <input
              name="strict"
              type="checkbox"
              checked={values.strict}
              aria-describedby="strict-help"
              onChange={(event) => set("strict", event.target.checked)}
            />
            <span>{t("clusters.strict")}</span>
          </label>
          <small id="strict-help" className="help">
            {t("clusters.strictHelp")}
          </small>
        </div>
      </div>
    </>
  );
}

function toInput(values: FormValues) {
  return {
    name: values.name.trim(),
    appPorts: parsePorts(values.ports) ?? [],
    inboundPortBase: Number(values.inboundPortBase),
    tls: {
      keyType: values.keyType,
      leafLifetimeDays: Number(values.leafLifetimeDays),
      minTlsVersion: values.minTlsVersion,
    },
    strict: values.strict,
  };
}

/** Renders the cluster fields with the title, the error box and the submit and cancel buttons. */
function ClusterFormFrame({
  title,
  submitLabel,
  editing,
  initial,
  mutation,
  onSubmit,
}: {
  title: string;
  submitLabel: string;
  editing: boolean;
  initial: FormValues;
  mutation: { error: unknown; isPending: boolean };
  onSubmit: (values: FormValues) => void;
}) {
  const t = useT();
  const router = useRouter();
  const canEdit = useCan("operator");
  const [values, setValues] = useState<FormValues>(initial);
  const portsInvalid = parsePorts(values.ports) === null;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!portsInvalid) onSubmit(values);
  }

  if (!canEdit) return <p className="notice">{t("common.viewOnly")}</p>;

  return (
    <section className="panel">
      <h1>{title}</h1>
      <form className="stack" onSubmit={submit}>
        <ClusterFields
          values={values}
          setValues={setValues}
          editing={editing}
          error={mutation.error}
          portsInvalid={portsInvalid}
        />
        <ErrorBox error={mutation.error} inline={CLUSTER_FIELDS} />
        <div className="button-row">
          <button type="submit" className="button" disabled={mutation.isPending || portsInvalid}>
            {mutation.isPending ? t("common.saving") : submitLabel}
          </button>
          <button type="button" className="button secondary" onClick={() => router.back()}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}

export function NewClusterPage() {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.clusters.create.mutationOptions({
      onSuccess: async (cluster) => {
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.list.queryKey() });
        router.push(`/clusters/${cluster.id}`);
      },
    }),
  );

  return (
    <ClusterFormFrame
      title={t("clusters.createTitle")}
      submitLabel={t("common.create")}
      editing={false}
      initial={NEW_CLUSTER}
      mutation={create}
      onSubmit={(values) => create.mutate({ ...toInput(values), preset: values.preset })}
    />
  );
}

export function EditClusterPage({ id }: { id: string }) {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const cluster = useQuery(trpc.clusters.get.queryOptions({ id }));
  const update = useMutation(
    trpc.clusters.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
        router.push(`/clusters/${id}`);
      },
    }),
  );

  return (
    <QueryState query={cluster}>
      {(data) => (
        <ClusterFormFrame
          title={t("clusters.editTitle", { name: data.name })}
          submitLabel={t("common.save")}
          editing
          initial={{
            name: data.name,
            preset: data.preset,
            ports: data.appPorts.join(", "),
            inboundPortBase: String(data.inboundPortBase),
            keyType: data.tls.keyType,
            leafLifetimeDays: String(data.tls.leafLifetimeDays),
            minTlsVersion: data.tls.minTlsVersion,
            strict: data.strict,
          }}
          mutation={update}
          onSubmit={(values) => update.mutate({ id, ...toInput(values) })}
        />
      )}
    </QueryState>
  );
}
