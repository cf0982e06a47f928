-- `:checkhealth keras_lsp`

local M = {}

local name = 'keras_lsp'

local function resolved_config()
  local ok, config = pcall(function()
    return vim.lsp.config[name]
  end)
  if ok then
    return config
  end
  return nil
end

local function is_enabled()
  if vim.lsp.is_enabled then
    return vim.lsp.is_enabled(name)
  end
  -- Neovim 0.11 has no public accessor.
  local enabled = rawget(vim.lsp, '_enabled_configs')
  return enabled ~= nil and enabled[name] ~= nil
end

local function check_binary(cmd)
  if type(cmd) == 'function' then
    vim.health.info('`cmd` is a function: the binary cannot be checked from here')
    return
  end
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    vim.health.error('no `cmd` configured', { "require('keras_lsp').setup({ cmd = { '/path/to/keras-lsp' } })" })
    return
  end
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    vim.health.error(('server binary `%s` not found or not executable'):format(exe), {
      'Build it with `cargo build --release` in the keras-lsp repository and put `target/release` on PATH,',
      "or point the plugin at it: require('keras_lsp').setup({ cmd = { '/path/to/keras-lsp' } })",
    })
    return
  end
  vim.health.ok(('server binary: `%s`'):format(vim.fn.exepath(exe)))

  local ok, result = pcall(function()
    return vim.system({ exe, '--version' }, { text = true }):wait(5000)
  end)
  if not ok then
    vim.health.error(('`%s --version` failed: %s'):format(exe, tostring(result)))
    return
  end
  local out = vim.trim(result.stdout or '')
  if result.code == 0 and out ~= '' then
    vim.health.ok(('version: %s'):format(out))
  else
    vim.health.error(('`%s --version` exited with %s: %s'):format(exe, tostring(result.code), vim.trim(result.stderr or out)))
  end
end

function M.check()
  vim.health.start('keras-lsp')

  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('Neovim 0.11 or newer is required (vim.lsp.config), found ' .. tostring(vim.version()))
    return
  end

  local config = resolved_config()
  if not config then
    vim.health.error('no `keras_lsp` config found: is editors/neovim on the runtimepath?')
    return
  end
  check_binary(config.cmd)

  if is_enabled() then
    vim.health.ok('`keras_lsp` is enabled')
  else
    vim.health.warn('`keras_lsp` is not enabled', { "require('keras_lsp').setup() or vim.lsp.enable('keras_lsp')" })
  end

  local clients = vim.lsp.get_clients({ name = name })
  if #clients == 0 then
    vim.health.warn('no keras-lsp client is running', { 'open a Python file inside a project' })
    return
  end
  local plugin = package.loaded['keras_lsp']
  local want_hints = plugin == nil or plugin.options == nil or plugin.options.inlay_hints
  for _, client in ipairs(clients) do
    local bufs = vim.tbl_keys(client.attached_buffers)
    table.sort(bufs)
    local server = client.server_info and client.server_info.name or 'keras-lsp'
    if client.server_info and client.server_info.version then
      server = server .. ' ' .. client.server_info.version
    end
    vim.health.ok(
      ('client %d (%s) attached to %d buffer(s), root: %s'):format(client.id, server, #bufs, tostring(client.root_dir))
    )
    if not client:supports_method('textDocument/inlayHint') then
      vim.health.warn('the server did not announce inlay hint support')
    end
    for _, bufnr in ipairs(bufs) do
      local label = vim.api.nvim_buf_get_name(bufnr)
      label = label ~= '' and vim.fn.fnamemodify(label, ':~:.') or ('buffer ' .. bufnr)
      if vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }) then
        vim.health.ok(('inlay hints enabled in %s'):format(label))
      elseif want_hints then
        vim.health.warn(('inlay hints disabled in %s'):format(label), { 'vim.lsp.inlay_hint.enable(true)' })
      else
        vim.health.info(('inlay hints disabled in %s (setup({ inlay_hints = false }))'):format(label))
      end
    end
  end
end

return M
