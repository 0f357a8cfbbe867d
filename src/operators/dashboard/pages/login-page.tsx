export function LoginPage(props: {
  next?: string | undefined;
  csrf: string;
  error?: string | undefined;
}) {
  return (
    <div class="card" style="max-width:520px;margin:40px auto">
      <h1>Operator login</h1>
      <p class="muted">
        Paste a token created with{' '}
        <code>kgd tokens create --name &lt;you&gt; --scope read|operate</code>.
      </p>
      {props.error && <p class="problem">{props.error}</p>}
      <form method="post" action="/dashboard/login">
        <input type="hidden" name="next" value={props.next ?? '/dashboard'} />
        <input type="hidden" name="csrf" value={props.csrf} />
        <input
          type="password"
          name="token"
          id="token"
          placeholder="kgd_..."
          autocomplete="off"
          style="width:100%"
          required
        />
        <div class="actions">
          <button type="submit" class="primary" id="login">
            Log in
          </button>
        </div>
      </form>
    </div>
  );
}
