import { get } from '../api.js';
import { useLoad } from '../use-api.js';
import { ErrorMessage, Loading } from './ui.js';

/** Checkboxes for chroots; `available` defaults to every active mock chroot. */
export function ChrootPicker({ selected, onChange, available, legend }: { selected: Set<string>; onChange: (s: Set<string>) => void; available?: string[]; legend: string }) {
  const all = useLoad(async () => available ?? Object.keys(await get<Record<string, string>>('mock-chroots/list')).sort(), [available?.join(' ')]);
  if (all.error) return <ErrorMessage error={all.error} title="Cannot list chroots" />;
  if (!all.data) return <Loading what="Loading chroots" />;
  const toggle = (c: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(c);
    else next.delete(c);
    onChange(next);
  };
  return (
    <fieldset class="chroots">
      <legend>{legend}</legend>
      {all.data.map((c) => (
        <label key={c} class="inline">
          <input type="checkbox" name="chroots" value={c} checked={selected.has(c)} onChange={(e) => toggle(c, e.currentTarget.checked)} /> {c}
        </label>
      ))}
    </fieldset>
  );
}
